export declare const chromiumPath: string
export declare const chromiumArgs: string[]
export declare function chromiumMissingMessage(): string | undefined
export declare const chromiumProfileDir: string
export declare const chromiumProfilesDir: string
export declare function removeStaleProfiles(): void
