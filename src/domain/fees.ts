import { lamports, type Lamports } from './amount.js';
import type { FeeBreakdown } from './trade.js';

/** Solana network costs. Defaults are mainnet facts: 5,000 lamports a signature, 2,039,280 lamports of rent-exempt balance for an SPL token account. */
export interface FeeSchedule {
  readonly signatureLamports: bigint;
  readonly rentLamports: bigint;
  /** Charge token-account rent the first time a portfolio acquires a token. */
  readonly chargeRent: boolean;
}

export const DEFAULT_FEES: FeeSchedule = { signatureLamports: 5_000n, rentLamports: 2_039_280n, chargeRent: true };

/**
 * The fee of one transaction. Every executed or failed trade pays the signature fee and its priority
 * fee; rent is paid only when the swap lands and opens a token account (a reverted transaction opens
 * nothing, so a failed trade pays no rent).
 */
export function networkFee(schedule: FeeSchedule, priorityFee: Lamports, opensTokenAccount: boolean, signatures = 1): FeeBreakdown {
  const baseFee = lamports(schedule.signatureLamports * BigInt(signatures));
  const rent = lamports(opensTokenAccount && schedule.chargeRent ? schedule.rentLamports : 0n);
  return { signatures, baseFee, priorityFee, rent, total: lamports(baseFee + priorityFee + rent) };
}
