/**
 * Every action that changes something goes through this confirmation: it shows what the action
 * touches (its blast radius), asks why (the reason is audited), and shows the API's answer —
 * including the error code and trace id when it refuses.
 */
import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Reason, type FieldErrors } from '@rc/contracts';
import { problemOf } from '../api/trpc';

/** A whole number the action takes, named as in the procedure's input. */
export interface AmountField {
  name: string;
  label: string;
  unit: string;
  min: number;
  max: number;
  /** Null: starts blank. */
  initial: number | null;
  /** Blank is allowed and sent as absent (the API's default applies). */
  optional?: boolean;
  /** Shown beside the unit, e.g. what blank means. */
  hint?: string;
}

export type AmountValues = Record<string, number | undefined>;

export interface ConfirmActionDialogProps {
  title: string;
  /** One sentence: what happens when confirmed. */
  summary: ReactNode;
  /** What the action touches. */
  blastRadius: ReactNode;
  confirmLabel: string;
  tone?: 'danger' | 'normal';
  amounts?: AmountField[];
  /**
   * Checks the amounts together before anything is sent (e.g. with the procedure's contract
   * schema): problems by field name, shown under that field.
   */
  check?: (amounts: AmountValues) => FieldErrors;
  onConfirm: (values: { reason: string; amounts: AmountValues }) => Promise<unknown>;
  onDone: () => void;
  onCancel: () => void;
}

export function ConfirmActionDialog(props: ConfirmActionDialogProps) {
  const {
    title,
    summary,
    blastRadius,
    confirmLabel,
    tone = 'normal',
    amounts = [],
    check,
    onConfirm,
    onDone,
    onCancel,
  } = props;
  const titleId = useId();
  const [reason, setReason] = useState('');
  const [amountTexts, setAmountTexts] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      amounts.map((field) => [field.name, field.initial === null ? '' : String(field.initial)]),
    ),
  );
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const mutation = useMutation({ mutationFn: onConfirm, onSuccess: onDone });

  useEffect(() => {
    reasonRef.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onCancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onCancel]);

  const reasonCheck = Reason.safeParse(reason);
  const amountValues: AmountValues = {};
  const amountErrors: FieldErrors = {};
  for (const field of amounts) {
    const text = (amountTexts[field.name] ?? '').trim();
    const value = Number(text);
    if (text === '' && field.optional) amountValues[field.name] = undefined;
    else if (text !== '' && Number.isInteger(value) && value >= field.min && value <= field.max)
      amountValues[field.name] = value;
    else amountErrors[field.name] = [`a whole number from ${field.min} to ${field.max}`];
  }
  // Together only once each is right on its own, so a field shows one problem at a time. Only
  // problems of the amounts count here: the reason has its own check above.
  const problems: FieldErrors =
    Object.keys(amountErrors).length > 0
      ? amountErrors
      : Object.fromEntries(
          Object.entries(check?.(amountValues) ?? {}).filter(([name]) =>
            amounts.some((field) => field.name === name),
          ),
        );
  const amountsOk = Object.keys(problems).length === 0;
  const problem = mutation.isError ? problemOf(mutation.error) : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!reasonCheck.success || !amountsOk || mutation.isPending) return;
    mutation.mutate({ reason: reasonCheck.data, amounts: amountValues });
  };

  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && onCancel()}>
      <form
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid="confirm-dialog"
        onSubmit={submit}
      >
        <h2 id={titleId}>{title}</h2>
        <p className="dialog-summary">{summary}</p>
        <section className="blast-radius" aria-label="Blast radius" data-testid="confirm-blast-radius">
          <h3>Blast radius</h3>
          {blastRadius}
        </section>
        <label className="field">
          Reason <span className="hint">(recorded in the audit log)</span>
          <textarea
            ref={reasonRef}
            name="reason"
            rows={3}
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. P2 INC-1234: OCR backlog slows invoicing"
            aria-invalid={reason.length > 0 && !reasonCheck.success}
          />
        </label>
        {reason.length > 0 && !reasonCheck.success && (
          <p className="field-error">{reasonCheck.error.issues[0]?.message ?? 'invalid reason'}</p>
        )}
        {amounts.map((field) => (
          <div key={field.name}>
            <label className="field field-inline">
              {field.label}
              <input
                name={field.name}
                type="number"
                min={field.min}
                max={field.max}
                step={1}
                value={amountTexts[field.name] ?? ''}
                onChange={(e) => setAmountTexts((texts) => ({ ...texts, [field.name]: e.target.value }))}
                aria-invalid={problems[field.name] !== undefined}
              />
              <span className="hint">
                {field.unit} ({field.min}–{field.max}){field.hint && `; ${field.hint}`}
              </span>
            </label>
            {problems[field.name] && (
              <p className="field-error" data-testid={`field-error-${field.name}`}>
                {problems[field.name]!.join(', ')}
              </p>
            )}
          </div>
        ))}
        {problem && (
          <div className="form-error" role="alert" data-testid="confirm-error">
            <strong>{problem.code}</strong> {problem.message}
            {Object.entries(problem.fieldErrors).map(([field, messages]) => (
              <div key={field}>
                {field || 'input'}: {messages.join(', ')}
              </div>
            ))}
            {problem.traceId && <div className="mono">trace {problem.traceId}</div>}
          </div>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="submit"
            className={`button ${tone === 'danger' ? 'danger' : 'primary'}`}
            disabled={!reasonCheck.success || !amountsOk || mutation.isPending}
            data-testid="confirm-submit"
          >
            {mutation.isPending ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </div>
  );
}
