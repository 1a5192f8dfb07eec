import { EntitySchema } from '@mikro-orm/core';

/** Users are global: one person, possibly a member of several tenants. */
export interface User {
  id: string;
  email: string;
  displayName: string;
  passwordHash: string;
  createdAt: Date;
}
export const UserSchema = new EntitySchema<User>({
  name: 'User',
  tableName: 'users',
  properties: {
    id: { type: 'uuid', primary: true },
    email: { type: 'string' },
    displayName: { type: 'string' },
    passwordHash: { type: 'string', hidden: true, lazy: true },
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
