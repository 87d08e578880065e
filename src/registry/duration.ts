// How timeouts read in messages. A leaf module with no imports, so the
// resolve layer can share it without loading the registry client.

/** `30s`, `1.5s`, `0.2s`: whole seconds when whole, else tenths. */
export function formatSeconds(ms: number): string {
  const tenths = Math.round(ms / 100) / 10;
  return `${Number.isInteger(tenths) ? tenths : tenths.toFixed(1)}s`;
}
