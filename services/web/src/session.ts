import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from './api/types';

export interface Session {
  me: Me;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

/** The signed-in account; pages below the sign-in gate always have one. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}
