/**
 * Every action that changes something goes through this confirmation: it shows what the action
 * touches (its blast radius), asks why (the reason is audited), and shows the API's answer —
 * including the error code and trace id when it refuses.
 */
import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Reason } from '@rc/contracts';
import { problemOf } from '../api/trpc';

export interface AmountField {
  label: string;
  unit: string;
  min: number;
  max: number;
  initial: number;
}

export interface ConfirmActionDialogProps {
  title: string;
  /** One sentence: what happens when confirmed. */
  summary: ReactNode;
  /** What the action touches. */
  blastRadius: ReactNode;
  confirmLabel: string;
  tone?: 'danger' | 'normal';
  amount?: AmountField;
  onConfirm: (values: { reason: string; amount: number }) => Promise<unknown>;
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
    amount,
    onConfirm,
    onDone,
    onCancel,
  } = props;
  const titleId = useId();
  const [reason, setReason] = useState('');
  const [amountText, setAmountText] = useState(String(amount?.initial ?? ''));
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
  const amountValue = Number(amountText);
  const amountOk =
    !amount || (Number.isInteger(amountValue) && amountValue >= amount.min && amountValue <= amount.max);
  const problem = mutation.isError ? problemOf(mutation.error) : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!reasonCheck.success || !amountOk || mutation.isPending) return;
    mutation.mutate({ reason: reasonCheck.data, amount: amountValue });
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
        {amount && (
          <label className="field field-inline">
            {amount.label}
            <input
              name="amount"
              type="number"
              min={amount.min}
              max={amount.max}
              step={1}
              value={amountText}
              onChange={(e) => setAmountText(e.target.value)}
              aria-invalid={!amountOk}
            />
            <span className="hint">
              {amount.unit} ({amount.min}–{amount.max})
            </span>
          </label>
        )}
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
            disabled={!reasonCheck.success || !amountOk || mutation.isPending}
            data-testid="confirm-submit"
          >
            {mutation.isPending ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </div>
  );
}
