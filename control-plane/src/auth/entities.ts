import { EntitySchema } from '@mikro-orm/core';

/**
 * Users are global: one person, possibly a member of several tenants. The app role cannot read
 * `password_hash` (login uses the `rc_password_hash` definer function); it stays mapped as lazy
 * only so that MikroORM lists the readable columns instead of selecting `*`. Never populate it.
 */
export interface User {
  id: string;
  email: string;
  displayName: string;
  passwordHash?: string;
  createdAt: Date;
}
export const UserSchema = new EntitySchema<User>({
  name: 'User',
  tableName: 'users',
  properties: {
    id: { type: 'uuid', primary: true },
    email: { type: 'string' },
    displayName: { type: 'string' },
    passwordHash: { type: 'string', fieldName: 'password_hash', hidden: true, lazy: true, nullable: true },
    createdAt: { type: 'Date', onCreate: () => new Date() },
  },
});

/** A console session; `id` is the keyed hash of the cookie value, never the value itself. */
export interface Session {
  id: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
}
export const SessionSchema = new EntitySchema<Session>({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    id: { type: 'string', primary: true },
    userId: { type: 'uuid' },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    expiresAt: { type: 'Date' },
  },
});
