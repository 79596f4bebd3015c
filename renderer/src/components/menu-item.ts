/** One action of a `Menu`; `value` is what `onpick` receives. */
export interface MenuItem<T> {
  label: string;
  value: T;
  disabled?: boolean;
  hint?: string;
  /** Draws a line above the item (the start of a group). */
  separator?: boolean;
}
