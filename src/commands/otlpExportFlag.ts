import type { Writable } from 'node:stream';
import { resolveOtlpExport } from '../core/otlpConfig.js';
import type { OtlpExport } from '../otel/otlpExport.js';

/**
 * The OTLP export `--otlp-endpoint` and the OTEL_* variables ask for, or undefined when they ask
 * for none. The export module (and the official exporter packages it loads) is imported only
 * then, so a run without export pays nothing for it at start. Throws INVALID_ARGUMENT for bad values.
 */
export async function startOtlpExportFor(endpointFlag: string | undefined, env: Record<string, string | undefined>, stderr: Writable): Promise<OtlpExport | undefined> {
  const config = resolveOtlpExport(endpointFlag === undefined ? {} : { otlpEndpoint: endpointFlag }, env);
  if (!config) return undefined;
  const log = (line: string): void => void stderr.write(`${line}\n`);
  const { startOtlpExport } = await import('../otel/otlpExport.js');
  const otlp = await startOtlpExport(config, { log });
  log(`mcpscope: exporting spans over OTLP (${config.protocol}) to ${otlp.url}`);
  return otlp;
}
