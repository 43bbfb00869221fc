/** A ref that moves focus to what just appeared, so keyboard and screen-reader users land on it. */
export function focusOnMount(element: HTMLElement | null) {
  element?.focus();
}
