/** A full garbage collection on demand, for memory figures (benches and the fuzz summaries). */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Returns `gc()`, without asking the caller to start Node with --expose-gc. */
export function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
