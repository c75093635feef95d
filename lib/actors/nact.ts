// The one file that knows nact's internals beyond its typings (nact 7.6.2).
// If nact changes, this is where to look.

import { dispatch, type Ref } from 'nact';
import { noteDispatch } from '../core/turn-end';

// dispatch takes a third argument, the sender, left out of its typings, and
// builds a new Nobody reference (three objects) for every message sent
// without one. Our messages carry their replyTo, so they share this one.
const noSender = Object.freeze({ system: Object.freeze({ name: undefined }), path: Object.freeze({ parts: Object.freeze([]) }), type: 'nobody' });
const dispatchWithSender = dispatch as <Msg>(target: Ref<Msg>, message: Msg, sender: typeof noSender) => void;

/** nact's dispatch without a sender reference per message. */
export function dispatchMessage<Msg>(target: Ref<Msg>, message: Msg): void {
  dispatchWithSender(target, message, noSender);
  noteDispatch();
}

/** The messages left in a stopped actor's mailbox: its typings say Msg[], but at run time the entries are { message, sender }. */
export function mailboxMessages<Msg>(mailbox: readonly unknown[]): Msg[] {
  return mailbox.map((entry) => ((entry as { message?: Msg }).message ?? entry) as Msg);
}
