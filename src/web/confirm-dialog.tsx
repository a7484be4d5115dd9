import { useEffect, useRef, useState } from 'preact/hooks';

interface Question {
  title: string;
  body: string;
  action: string;
}

/**
 * A modal confirmation on the native <dialog>: it keeps the focus inside,
 * Escape cancels, and the focus goes back to where it was when it closes.
 * The safe choice (Cancel) has the focus when it opens.
 *
 * `ask` resolves true only when the action button is pressed.
 */
export function useConfirm() {
  const [question, setQuestion] = useState<Asked | undefined>();
  // The opener is noted when asked, before anything renders: the element the user acted on.
  const ask = (q: Question) =>
    new Promise<boolean>((answer) => setQuestion({ ...q, answer, opener: document.activeElement }));
  const dialog = question ? (
    <ConfirmDialog
      question={question}
      onAnswer={(ok) => {
        setQuestion(undefined);
        question.answer(ok);
      }}
    />
  ) : null;
  return { ask, dialog };
}

interface Asked extends Question {
  answer: (ok: boolean) => void;
  opener: Element | null;
}

function ConfirmDialog({ question, onAnswer }: { question: Asked; onAnswer: (ok: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.showModal();
    cancel.current?.focus();
    // The browser gives the focus back on close() only while the dialog is in the page;
    // it leaves the page with its answer, so the focus is given back here.
    const { opener } = question;
    return () => {
      el.close();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, [question]);
  return (
    <dialog
      ref={ref}
      class="confirm"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      onCancel={(e) => {
        e.preventDefault();
        onAnswer(false);
      }}
    >
      <h2 id="confirm-title">{question.title}</h2>
      <p id="confirm-body">{question.body}</p>
      <div class="dialog-buttons">
        <button type="button" ref={cancel} onClick={() => onAnswer(false)}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={() => onAnswer(true)}>
          {question.action}
        </button>
      </div>
    </dialog>
  );
}
