// ui.js - Preact with htm: views without a compiler step.
import { h, render } from "preact";
import { useState, useEffect, useRef, useCallback } from "preact/hooks";
import htm from "htm";

export const html = htm.bind(h);
export { render, useState, useEffect, useRef, useCallback };

// Runs an async loader, giving [value, error, reload].
export function useLoad(fn, deps) {
  const [state, set] = useState({ value: undefined, error: null });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    set((s) => ({ value: s.value, error: null }));
    fn().then(
      (value) => live && set({ value, error: null }),
      (error) => live && set({ value: undefined, error })
    );
    return () => (live = false);
  }, [...deps, n]);
  return [state.value, state.error, () => setN((x) => x + 1)];
}
