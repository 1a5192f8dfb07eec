import { z } from 'zod';

/** Every API object id is a UUID; anything else is a validation error, never a 500. */
export const Id = z.uuid();
export const Slug = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');
/** Free text a person types: bounded, trimmed, and without NUL (PostgreSQL text cannot hold it). */
export function Text(options: { min?: number; max: number }) {
  return (
    z
      .string()
      .trim()
      .min(options.min ?? 0)
      .max(options.max)
      // eslint-disable-next-line no-control-regex -- NUL is exactly what is refused
      .regex(/^[^\u0000]*$/, 'must not contain NUL characters')
  );
}
export const Reason = Text({ min: 3, max: 500 });
export const ShortText = Text({ min: 1, max: 200 });
