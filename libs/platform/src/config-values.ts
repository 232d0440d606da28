/** An empty environment variable counts as unset, so its default applies. */
export const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
