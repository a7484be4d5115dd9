import { useEffect, useRef } from 'preact/hooks';

/**
 * Keeps a scrolling element at its newest (last) content as `content`
 * changes, unless the reader scrolled up to read; scrolling back to the
 * bottom follows again. Returns the ref and the scroll handler to attach.
 */
export function useFollowBottom<T extends HTMLElement>(content: unknown) {
  const ref = useRef<T>(null);
  const follow = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after each new content, to scroll to it
  useEffect(() => {
    if (ref.current && follow.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [content]);
  const onScroll = () => {
    const el = ref.current;
    if (el) follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
  };
  return { ref, onScroll };
}
