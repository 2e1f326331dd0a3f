import { describe, expect, it } from 'vitest';
import { resolveOtlpExport } from '../../src/core/otlpConfig.js';

describe('resolveOtlpExport', () => {
  it('is off without the flag and both endpoint variables', () => {
    expect(resolveOtlpExport({}, {})).toBeUndefined();
    expect(resolveOtlpExport({}, { OTEL_EXPORTER_OTLP_HEADERS: 'a=b', OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeUndefined();
    // OTEL_SDK_DISABLED silences the variables, not an explicit flag.
    expect(resolveOtlpExport({}, { OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBeUndefined();
    expect(resolveOtlpExport({ otlpEndpoint: 'http://c:4318' }, { OTEL_SDK_DISABLED: 'true' })?.url).toBe('http://c:4318/v1/traces');
  });

  it('appends /v1/traces to the generic endpoint and to a flag URL without a path, keeps the traces endpoint and a flag path as given', () => {
    expect(resolveOtlpExport({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })?.url).toBe('http://collector:4318/v1/traces');
    expect(resolveOtlpExport({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://x.example/otlp/' })?.url).toBe('https://x.example/otlp/v1/traces');
    expect(resolveOtlpExport({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other' })?.url).toBe('http://c:4318/custom');
    expect(resolveOtlpExport({ otlpEndpoint: 'http://127.0.0.1:4318' }, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://ignored' })?.url).toBe('http://127.0.0.1:4318/v1/traces');
    expect(resolveOtlpExport({ otlpEndpoint: 'http://127.0.0.1:4318/v1/traces' }, {})?.url).toBe('http://127.0.0.1:4318/v1/traces');
  });

  it('reads headers, protocol, service name, resource attributes and timeout, signal-specific variables first', () => {
    const c = resolveOtlpExport(
      { otlpEndpoint: 'http://c:4318' },
      {
        OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%3Db, x-team = obs ,',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=traces',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,deployment.environment=prod',
        OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      },
    );
    expect(c).toEqual({
      url: 'http://c:4318/v1/traces',
      protocol: 'http/json',
      headers: { 'api-key': 'a=b', 'x-team': 'traces' },
      serviceName: 'from-attrs',
      resourceAttributes: { 'service.name': 'from-attrs', 'deployment.environment': 'prod' },
      timeoutMs: 2500,
    });
    expect(resolveOtlpExport({ otlpEndpoint: 'http://c' }, { OTEL_SERVICE_NAME: 'agent', OTEL_RESOURCE_ATTRIBUTES: 'service.name=other' })?.serviceName).toBe('agent');
    expect(resolveOtlpExport({ otlpEndpoint: 'http://c' }, {})).toEqual(expect.objectContaining({ serviceName: 'mcpscope', protocol: 'http/protobuf', headers: {}, timeoutMs: 10_000 }));
  });

  it('refuses bad values with a message naming them', () => {
    expect(() => resolveOtlpExport({ otlpEndpoint: 'collector:4318' }, {})).toThrow(/--otlp-endpoint: expected an http\(s\) URL/);
    expect(() => resolveOtlpExport({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => resolveOtlpExport({ otlpEndpoint: 'http://c' }, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not supported/);
    expect(() => resolveOtlpExport({ otlpEndpoint: 'http://c' }, { OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toThrow(/key=value/);
    expect(() => resolveOtlpExport({ otlpEndpoint: 'http://c' }, { OTEL_EXPORTER_OTLP_HEADERS: 'bad name=1' })).toThrow(/invalid header name/);
    expect(() => resolveOtlpExport({ otlpEndpoint: 'http://c' }, { OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '0' })).toThrow(/OTEL_EXPORTER_OTLP_TRACES_TIMEOUT/);
  });
});
