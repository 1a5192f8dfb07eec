/**
 * The role the application connects as. It is not the owner of any table and has
 * no BYPASSRLS, so row-level security applies to every query it runs.
 */
export const APP_ROLE = 'rc_app';
