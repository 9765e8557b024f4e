/**
 * Text that came from an upstream (an error body, or an error message quoting one) made safe to log:
 * credentials removed and the length bounded. A server, or a proxy in front of it, may echo the
 * request it got, Authorization header included, and may answer with megabytes; neither belongs in
 * a log line. Pure, so every adapter that logs upstream text (QuestDB, Jupiter) uses the same rules.
 */

export const REDACTED_TEXT = '[redacted]';
/** Default bound of the returned text, before the note saying how much was cut. */
export const UPSTREAM_TEXT_MAX_CHARS = 512;
/**
 * Only this much of the input is scanned: the rest can never be shown, and a regex pass stays cheap.
 * A caller that parses the text (a JSON error body) and bounds what it keeps itself passes this as
 * maxChars, so the body is scrubbed but not cut before it is parsed.
 */
export const UPSTREAM_TEXT_SCAN_CHARS = 16_384;
const SCAN_CHARS = UPSTREAM_TEXT_SCAN_CHARS;

/** `Authorization: <value>` and `Proxy-Authorization` as a header line, a JSON member or k=v. */
const AUTH_HEADER = /((?:proxy-)?authorization["']?\s*[:=]\s*["']?)[^"'\r\n,;}]*/gi;
/** An auth scheme's credentials wherever they appear. */
const AUTH_SCHEME = /\b(basic|bearer)(\s+)[A-Za-z0-9._~+/=-]+/gi;
/** `password=...`, `"token": "..."`, `x-api-key: ...`: a secret-looking name and its value. */
const SECRET_PAIR =
  /((?<![A-Za-z0-9])(?:(?:x-)?api[-_]?key|access[-_]?token|refresh[-_]?token|client[-_]?secret|tls_roots_password|token(?:_[xy])?|password|passwd|pwd|secret)["']?\s*[:=]\s*["']?)[^\s"'&;,}]+/gi;
// eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach a log line
const CONTROL = /[\u0000-\u001f\u007f]+/g;

export interface UpstreamTextOptions {
  /** Values to remove wherever they appear (configured passwords, tokens, keys, user names). */
  readonly secrets?: readonly string[];
  /** Longest text returned, before the note on what was cut. Default UPSTREAM_TEXT_MAX_CHARS. */
  readonly maxChars?: number;
}

/** `text` without credentials, control characters collapsed to a space, at most maxChars (+ a note). */
export function redactUpstreamText(text: string, options: UpstreamTextOptions = {}): string {
  const maxChars = options.maxChars ?? UPSTREAM_TEXT_MAX_CHARS;
  let out = text.length > SCAN_CHARS ? text.slice(0, SCAN_CHARS) : text;
  // The configured values first, in every form a request carries them: verbatim, URL-encoded, and
  // as the base64 of user:password (Basic), so an echo is caught even in an unknown format.
  for (const secret of secretForms(options.secrets ?? [])) out = out.split(secret).join(REDACTED_TEXT);
  out = out
    .replace(AUTH_HEADER, `$1${REDACTED_TEXT}`)
    .replace(AUTH_SCHEME, `$1$2${REDACTED_TEXT}`)
    .replace(SECRET_PAIR, `$1${REDACTED_TEXT}`)
    .replace(CONTROL, ' ');
  if (out.length <= maxChars && text.length <= SCAN_CHARS) return out;
  return `${out.slice(0, maxChars)}... (${text.length} characters, cut)`;
}

/** Each secret, its URL encoding, and the Basic credentials of every pair, longest first. */
function secretForms(secrets: readonly string[]): string[] {
  const plain = secrets.filter((s) => s !== '');
  const forms = new Set<string>();
  for (const s of plain) {
    forms.add(s);
    forms.add(encodeURIComponent(s));
  }
  for (const user of plain) for (const pass of plain) forms.add(Buffer.from(`${user}:${pass}`).toString('base64'));
  // Longest first: a secret that contains another is removed whole.
  return [...forms].sort((a, b) => b.length - a.length);
}
