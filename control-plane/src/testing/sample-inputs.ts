import { z, type ZodType } from 'zod';

/** Stands for "an object id" in a generated input; tests replace it with real ids. */
export const ID_PLACEHOLDER = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';

interface JsonSchema {
  type?: string | string[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

const STRING_CANDIDATES = ['probe-name', 'probe text for a test', 'probe', 'p'];

function sampleString(schema: JsonSchema): string {
  if (schema.format === 'uuid') return ID_PLACEHOLDER;
  if (schema.format === 'email') return 'probe@acme.example';
  if (schema.format === 'uri') return 'http://127.0.0.1:9/health';
  const fits = (s: string) =>
    s.length >= (schema.minLength ?? 0) &&
    s.length <= (schema.maxLength ?? Infinity) &&
    (!schema.pattern || new RegExp(schema.pattern).test(s));
  const found = STRING_CANDIDATES.find(fits);
  if (found) return found;
  throw new Error(`cannot generate a string for ${JSON.stringify(schema)}`);
}

function sample(schema: JsonSchema): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf) return sample(schema.anyOf.find((s) => s.type !== 'null') ?? schema.anyOf[0]!);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object':
      // Every property, optional ones included, so handlers see the widest valid input.
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([key, value]) => [key, sample(value)]),
      );
    case 'string':
      return sampleString(schema);
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return schema.items ? [sample(schema.items)] : [];
    default:
      if (schema.default !== undefined) return schema.default;
      throw new Error(`cannot generate a value for ${JSON.stringify(schema)}`);
  }
}

/** The JSON Schema of a procedure's input, as a client would send it. */
export function inputJsonSchema(schema: ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

/**
 * A valid input for a procedure, generated from its zod schema, with every id set to `id`.
 * Throws when it cannot: a new kind of input must teach this generator, never be skipped.
 */
export function validSampleInput(schema: ZodType, id: string = ID_PLACEHOLDER): unknown {
  const generated = JSON.parse(
    JSON.stringify(sample(inputJsonSchema(schema))).replaceAll(ID_PLACEHOLDER, id),
  );
  const parsed = schema.safeParse(generated);
  if (!parsed.success)
    throw new Error(`generated input is invalid: ${JSON.stringify(generated)}: ${parsed.error.message}`);
  return generated;
}

/** Whether an input takes object ids (so it can point at another tenant's objects). */
export function takesIds(schema: ZodType): boolean {
  return JSON.stringify(sample(inputJsonSchema(schema))).includes(ID_PLACEHOLDER);
}

/** Paths (dotted) of the top-level fields of an object input, with their JSON Schema. */
export function inputFields(schema: ZodType): Array<[string, JsonSchema]> {
  return Object.entries(inputJsonSchema(schema).properties ?? {});
}
