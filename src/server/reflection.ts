/**
 * gRPC server reflection, both protocol versions (grpc.reflection.v1 and the older v1alpha that some
 * tools still ask first), answered from the contract's compiled descriptors (src/contract/
 * descriptors.ts). Files go out byte for byte as buf compiled them: their real names
 * ("paper_trader/v1/executor.proto") and imports, snake_case field names with json_name, proto3
 * `optional` fields as such, comments. So a client that knows nothing but reflection (grpcurl, Postman,
 * grpcui, Python's DescriptorPool) can list, describe and call every method.
 *
 * Written here rather than taken from @grpc/reflection, which rebuilds descriptors from protobufjs's
 * view of the proto (camelCase names, one made-up file per package, no imports) that such clients
 * refuse or misread.
 */
import { status, type Server, type ServerDuplexStream } from '@grpc/grpc-js';
import { CONTRACT_FILES, serviceDefinition, type ContractFile } from '../contract/index.js';
import type { ServerReflectionRequestMessage } from '../contract/grpc/reflection/v1/ServerReflectionRequest.js';
import type { ServerReflectionResponseMessageInput } from '../contract/grpc/reflection/v1/ServerReflectionResponse.js';

/** The reflection services themselves, listed with the others as every gRPC server lists them. */
export const REFLECTION_SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'] as const;

type Answer = Omit<ServerReflectionResponseMessageInput, 'validHost' | 'originalRequest'>;

export interface Reflection {
  /** The answer to one request of the stream (both versions share message shapes). */
  answer(req: ServerReflectionRequestMessage): ServerReflectionResponseMessageInput;
}

/**
 * Reflection over `files` that lists `services` (those the server really registered: a service of
 * the contract that is switched off, such as Diagnostics by default, is described with its file but
 * not listed).
 */
export function createReflection(services: readonly string[], files: readonly ContractFile[] = CONTRACT_FILES): Reflection {
  const byName = new Map(files.map((f) => [f.name, f] as const));
  const bySymbol = new Map<string, ContractFile>();
  for (const f of files) for (const s of f.symbols) bySymbol.set(s, f);
  const bytes = new Map(files.map((f) => [f.name, Buffer.from(f.descriptor, 'base64')] as const));
  const listed = [...new Set([...services, ...REFLECTION_SERVICES])].sort().map((name) => ({ name }));

  /** The file first, then everything it imports, directly or not, each once (as the C++ server answers). */
  const withDependencies = (file: ContractFile): Answer => {
    const out: Buffer[] = [];
    const seen = new Set<string>();
    const queue = [file.name];
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      if (seen.has(name)) continue;
      seen.add(name);
      const f = byName.get(name);
      const b = bytes.get(name);
      if (f === undefined || b === undefined) continue; // an import outside the set cannot happen: buf includes imports
      out.push(b);
      queue.push(...f.dependencies);
    }
    return { fileDescriptorResponse: { fileDescriptorProto: out } };
  };

  const notFound = (what: string): Answer => ({ errorResponse: { errorCode: status.NOT_FOUND, errorMessage: `${what} not found` } });

  const respond = (req: ServerReflectionRequestMessage): Answer => {
    switch (req.messageRequest) {
      case 'listServices':
        return { listServicesResponse: { service: listed } };
      case 'fileByFilename': {
        const f = byName.get(req.fileByFilename ?? '');
        return f ? withDependencies(f) : notFound(`file ${JSON.stringify(req.fileByFilename ?? '')}`);
      }
      case 'fileContainingSymbol': {
        const f = bySymbol.get(req.fileContainingSymbol ?? '');
        return f ? withDependencies(f) : notFound(`symbol ${JSON.stringify(req.fileContainingSymbol ?? '')}`);
      }
      case 'fileContainingExtension': {
        // The contract declares no extensions.
        const ext = req.fileContainingExtension;
        return notFound(`extension ${ext?.extensionNumber ?? 0} of ${JSON.stringify(ext?.containingType ?? '')}`);
      }
      case 'allExtensionNumbersOfType': {
        const type = req.allExtensionNumbersOfType ?? '';
        return bySymbol.has(type)
          ? { allExtensionNumbersResponse: { baseTypeName: type, extensionNumber: [] } }
          : notFound(`type ${JSON.stringify(type)}`);
      }
      default:
        return { errorResponse: { errorCode: status.UNIMPLEMENTED, errorMessage: 'unknown reflection request' } };
    }
  };

  return {
    answer: (req) => ({ validHost: req.host, originalRequest: req, ...respond(req) }),
  };
}

/** Registers both reflection services on the server, listing `services` (see {@link createReflection}). */
export function addReflection(server: Server, services: readonly string[]): void {
  const reflection = createReflection(services);
  const handler = {
    ServerReflectionInfo: (call: ServerDuplexStream<ServerReflectionRequestMessage, ServerReflectionResponseMessageInput>): void => {
      call.on('data', (req: ServerReflectionRequestMessage) => call.write(reflection.answer(req)));
      call.on('end', () => call.end());
      call.on('error', () => undefined); // a client that goes away mid-stream: nothing to clean up
    },
  };
  for (const name of REFLECTION_SERVICES) server.addService(serviceDefinition(name), handler);
}
