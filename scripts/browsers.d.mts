export type Engine = 'chromium' | 'firefox' | 'webkit'
export declare const engines: readonly Engine[]
export declare const firefoxPath: string
export declare const webkit: { driverPath: string; miniBrowserPath: string; xvfbPath: string }
export declare function engineMissingMessage(engine: Engine): string | undefined
