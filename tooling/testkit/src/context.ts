declare module 'vitest' {
  export interface ProvidedContext {
    /** A closed, migrated embedded database directory (`<dataDir>/db`) that tests copy instead of creating. */
    smartstockEmbeddedTemplate: string;
  }
}

export {};
