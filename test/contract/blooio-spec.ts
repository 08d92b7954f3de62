import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Blooio's published OpenAPI document, read where DESIGN.md §9 says (beside the checkout, or
 * BLOOIO_OPENAPI_SPEC) and never copied into the repository.
 */
export const BLOOIO_SPEC_PATH =
  process.env.BLOOIO_OPENAPI_SPEC ??
  path.resolve(__dirname, '../../../shared/blooio/blooio-v2.openapi.json');

/**
 * `describe` when the document is there; otherwise a printed skip, or a failure with
 * REQUIRE_CONTRACT=1 (as CI sets), like the contract suite.
 */
export function describeWithBlooioSpec(name: string, suite: () => void): void {
  if (existsSync(BLOOIO_SPEC_PATH)) {
    describe(name, suite);
    return;
  }
  const reason =
    `Blooio's OpenAPI document is not at ${BLOOIO_SPEC_PATH} ` +
    '(set BLOOIO_OPENAPI_SPEC to its path, or check it out beside the repository as ../shared/blooio/)';
  if (process.env.REQUIRE_CONTRACT === '1') {
    describe(name, () => {
      it('has the Blooio OpenAPI document (REQUIRE_CONTRACT=1)', () => {
        throw new Error(`${reason}; REQUIRE_CONTRACT=1 makes the contract tests mandatory`);
      });
    });
  } else {
    console.warn(`Skipping "${name}": ${reason}`);
    describe.skip(name, suite);
  }
}

type Schema = Record<string, unknown>;

export interface BlooioSpec {
  components: { schemas: Record<string, Schema> };
  paths: Record<
    string,
    Record<string, { responses?: Record<string, Schema>; requestBody?: Schema }>
  >;
  servers?: { url: string }[];
}

export function readBlooioSpec(): BlooioSpec {
  return JSON.parse(readFileSync(BLOOIO_SPEC_PATH, 'utf8')) as BlooioSpec;
}

/**
 * The schema with `additionalProperties: false` on every object that lists its properties:
 * Blooio's schemas are open, so without this a misspelt field would pass.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    copy[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as Schema).map(([n, s]) => [n, closed(s)]))
        : key === 'items' || key === 'allOf' || key === 'oneOf' || key === 'anyOf'
          ? closed(value)
          : value;
  }
  if (copy.properties && copy.additionalProperties === undefined && !copy.allOf) {
    copy.additionalProperties = false;
  }
  return copy;
}

/** Validators for the document's schemas (OpenAPI 3.0: `nullable`, int64, uri), closed. */
export class BlooioSchemas {
  private readonly ajv: Ajv;

  constructor(private readonly spec: BlooioSpec) {
    // strict: false, because OpenAPI adds keywords JSON Schema does not know (example…).
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'blooio', components: spec.components });
  }

  /** A component schema, e.g. 'WebhookEventPayload'. */
  component(name: string): ValidateFunction {
    const schema = this.spec.components.schemas[name];
    if (!schema) throw new Error(`the document has no schema ${name}`);
    return this.compile(schema);
  }

  /** The JSON schema of one response of one operation, e.g. ('/webhooks', 'post', '201'). */
  response(pathName: string, method: string, status: string): ValidateFunction {
    const response = this.spec.paths[pathName]?.[method]?.responses?.[status] as
      { content?: Record<string, { schema?: Schema }> } | undefined;
    const schema = response?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`the document has no JSON ${status} for ${method} ${pathName}`);
    return this.compile(schema);
  }

  /** The JSON request body schema of one operation, e.g. ('/webhooks', 'post'). */
  requestBody(pathName: string, method: string): ValidateFunction {
    const body = this.spec.paths[pathName]?.[method]?.requestBody as
      { content?: Record<string, { schema?: Schema }> } | undefined;
    const schema = body?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`the document has no JSON body for ${method} ${pathName}`);
    return this.compile(schema);
  }

  private compile(schema: Schema): ValidateFunction {
    // References inside point into the document added as 'blooio'.
    const rebased = JSON.parse(
      JSON.stringify(closed(schema)).replaceAll('"#/components/', '"blooio#/components/'),
    ) as Schema;
    return this.ajv.compile(rebased);
  }
}

/** The validator's errors as one readable line each (empty when valid). */
export function schemaErrors(validate: ValidateFunction, value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (error) =>
      `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
  );
}
