/** A real binary, not the placeholder the `bun` package ships until its postinstall replaces it. */
export function isRealBinary(path: string): boolean;
/** The path of this machine's bun, or undefined when npm installed none. */
export function findHostBun(): string | undefined;
export function hostBunCandidates(exe?: string): string[];
