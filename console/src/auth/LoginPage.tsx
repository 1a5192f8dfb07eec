import { useState, type FormEvent } from 'react';
import { problemOf } from '../api/trpc';
import { useLogin } from './session';

function loginProblem(error: unknown): string {
  const problem = problemOf(error);
  switch (problem.code) {
    case 'ERR_INVALID_CREDENTIALS':
      return 'Email or password is wrong.';
    case 'ERR_RATE_LIMITED':
      return 'Too many attempts. Wait a few minutes before trying again.';
    case 'ERR_VALIDATION':
      return Object.entries(problem.fieldErrors)
        .map(([field, messages]) => `${field || 'input'}: ${messages.join(', ')}`)
        .join('; ');
    case 'ERR_NETWORK':
      return 'The control plane cannot be reached.';
    default:
      return problem.message;
  }
}

export function LoginPage() {
  const login = useLogin();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ email: email.trim(), password });
  };

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          Reliability Center
        </div>
        <h1 id="login-title">Sign in</h1>
        <label>
          Email
          <input
            name="email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {login.isError && (
          <p className="form-error" role="alert">
            {loginProblem(login.error)}
          </p>
        )}
        <button type="submit" className="button primary" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
