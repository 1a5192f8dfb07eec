/**
 * The console end to end, as people use it: a real browser (Debian's headless Chromium driven by
 * playwright-core) against a real control plane serving the built console, with a real worker,
 * PostgreSQL and Temporal behind it. Screenshots land in test-artifacts/console/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestControlPlane,
  TEST_PASSWORD,
  type TestControlPlane,
} from '@rc/control-plane/testing/test-control-plane';
import { ensureConsoleBuilt } from '../../ensure-built';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../../test-artifacts/console');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Waits in the browser: a workflow applies degraded mode, the console polls; slow machines are slow. */
const UI_TIMEOUT_MS = 60_000;

let cp: TestControlPlane;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** The page of the running test, photographed when the test fails. */
let lastPage: Page | null = null;

beforeAll(async () => {
  // The control plane serves console/dist: build it first when missing or stale.
  await ensureConsoleBuilt({ log: (line) => console.log(`[console] ${line}`) });
  await fs.mkdir(ARTIFACTS, { recursive: true });
  cp = await startTestControlPlane({ withWorker: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}, 300_000);

afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && lastPage) {
    const name = context.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await screenshot(lastPage, `failed-${name}`).catch(() => undefined);
  }
  lastPage = null;
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await cp?.stop();
});

async function openConsole(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  lastPage = page;
  // Whatever the browser complains about is printed with the test's output.
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      console.log(`[browser ${message.type()}] ${message.text()}`);
  });
  page.on('pageerror', (error) => console.log(`[browser exception] ${error.stack ?? error.message}`));
  return page;
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(cp.url);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('dependency-graph').waitFor();
}

const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

describe('Reliability Center console', () => {
  it('an acme operator starts degraded mode on billing from the graph, sees its non-critical features off and the audited trace id', async () => {
    const page = await openConsole();
    await signIn(page, cp.acme.emails.operator);
    expect(await page.getByTestId('current-role').textContent()).toBe('operator');
    expect(new URL(page.url()).pathname).toBe('/t/acme/modules');

    // Selecting billing in the graph highlights its blast radius: ocr depends on it.
    await page.getByTestId('module-node-billing').click();
    await page.locator('[data-testid="module-details"][data-module="billing"]').waitFor();
    expect(await page.getByTestId('module-node-billing').getAttribute('class')).toContain(
      'emphasis-selected',
    );
    expect(await page.getByTestId('module-node-ocr').getAttribute('class')).toContain('emphasis-blast');
    await screenshot(page, '01-operator-billing-selected');

    // The confirmation shows the blast radius and asks for a reason.
    await page.getByTestId('action-degraded-start').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('blast-features-off').innerText()).toContain('billing.exports');
    expect(await dialog.getByTestId('blast-features-off').innerText()).not.toContain('billing.invoices');
    expect(await dialog.getByTestId('blast-features-unchanged').innerText()).toContain('billing.invoices');
    expect(await dialog.getByTestId('blast-dependents').innerText()).toContain('ocr');
    expect(await dialog.getByTestId('confirm-submit').isDisabled()).toBe(true); // no reason yet
    await dialog.getByLabel(/Reason/).fill('E2E: payment provider timeouts slow invoicing');
    await screenshot(page, '02-operator-confirm-degraded-mode');
    await dialog.getByTestId('confirm-submit').click();
    await dialog.waitFor({ state: 'detached' });

    // Its non-critical feature shows off, the critical one stays on, degraded mode shows active.
    await page.locator('[data-testid="feature-billing.exports"][data-enabled="false"]').waitFor();
    await page.locator('[data-testid="degraded-mode-state"][data-state="active"]').waitFor();
    expect(await page.getByTestId('feature-billing.invoices').getAttribute('data-enabled')).toBe('true');
    expect(await page.getByTestId('module-health').innerText()).toBe('Degraded');
    // What the console shows is what the database holds.
    const features = await cp.ownerQuery<{ key: string; enabled: boolean }>(
      'select key, enabled from features where tenant_id = $1 and key like $2 order by key',
      [cp.acme.tenantId, 'billing.%'],
    );
    expect(features).toEqual([
      { key: 'billing.exports', enabled: false },
      { key: 'billing.invoices', enabled: true },
    ]);
    await screenshot(page, '03-operator-billing-degraded');

    // The audit page shows the start, by this operator, with its 32-hex trace id.
    await page.getByRole('link', { name: 'Audit log' }).click();
    const row = page.locator('[data-testid="audit-row"][data-action="degraded_mode.start"]').first();
    await row.waitFor();
    const traceId = (await row.getByTestId('audit-trace-id').innerText()).trim();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await row.innerText()).toContain('operator');
    const [stored] = await cp.ownerQuery<{ trace_id: string }>(
      "select trace_id from audit_events where tenant_id = $1 and action = 'degraded_mode.start'",
      [cp.acme.tenantId],
    );
    expect(traceId).toBe(stored!.trace_id);

    // Filtering by action leaves only that action's rows.
    await page.getByLabel('Action').fill('degraded_mode.start');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="audit-row"]')];
      return rows.length > 0 && rows.every((r) => r.getAttribute('data-action') === 'degraded_mode.start');
    });
    await screenshot(page, '04-operator-audit-degraded-mode-start');
  }, 240_000);

  it('an acme operator opens the payment-provider breaker with a back-off cap; a cap below the cool-down is refused in the form, before anything is sent', async () => {
    const page = await openConsole();
    await signIn(page, cp.acme.emails.operator);
    await page.getByTestId('module-node-billing').click();
    await page.locator('[data-testid="module-details"][data-module="billing"]').waitFor();

    const openRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/trpc/breakers.open')) openRequests.push(request.postData() ?? '');
    });
    await page.getByTestId('action-breaker-open-payment-provider').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    await dialog.getByLabel(/Reason/).fill('E2E: payment provider times out');
    await dialog.locator('input[name="coolDownSeconds"]').fill('120');
    await dialog.locator('input[name="maxCoolDownSeconds"]').fill('60');
    expect(await dialog.getByTestId('field-error-maxCoolDownSeconds').innerText()).toContain(
      'at least the cool-down',
    );
    expect(await dialog.getByTestId('confirm-submit').isDisabled()).toBe(true);
    await screenshot(page, '07-operator-breaker-cap-below-cool-down');

    await dialog.locator('input[name="maxCoolDownSeconds"]').fill('600');
    await dialog.getByTestId('field-error-maxCoolDownSeconds').waitFor({ state: 'detached' });
    await dialog.getByTestId('confirm-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('[data-testid="breaker-payment-provider"]:not([data-state="closed"])').waitFor();
    await screenshot(page, '08-operator-breaker-open');

    // One request, with both amounts as typed: the refused form sent nothing.
    expect(openRequests).toHaveLength(1);
    expect(JSON.parse(openRequests[0]!)).toMatchObject({ coolDownSeconds: 120, maxCoolDownSeconds: 600 });
    const events = await cp.ownerQuery<{ details: Record<string, unknown> }>(
      "select details from audit_events where tenant_id = $1 and action = 'breaker.open'",
      [cp.acme.tenantId],
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toMatchObject({ coolDownSeconds: 120, maxCoolDownSeconds: 600 });
  }, 240_000);

  it('an acme auditor sees modules, mitigations and breakers but is offered no action button', async () => {
    const page = await openConsole();
    await signIn(page, cp.acme.emails.auditor);
    expect(await page.getByTestId('current-role').textContent()).toBe('auditor');

    await page.getByTestId('module-node-billing').click();
    const details = page.locator('[data-testid="module-details"][data-module="billing"]');
    await details.waitFor();
    // The panels where an operator has buttons are there, and hold none.
    await details.getByTestId('degraded-mode-state').waitFor();
    await details.getByTestId('breaker-payment-provider').waitFor();
    expect(await page.locator('[data-testid^="action-"]').count()).toBe(0);
    expect(
      await details.getByRole('button', { name: /degraded mode|breaker|extend|force close/i }).count(),
    ).toBe(0);
    await screenshot(page, '05-auditor-billing-no-actions');

    // The audit log is the auditor's page; it has no action button either.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByTestId('audit-table').waitFor();
    expect(await page.locator('[data-testid^="action-"]').count()).toBe(0);
    await screenshot(page, '06-auditor-audit-log');
  }, 180_000);
});
