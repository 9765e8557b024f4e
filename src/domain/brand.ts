/** A nominal type: the same runtime value, but not interchangeable with another brand at compile time. */
export type Brand<T, B extends string> = T & { readonly __brand: B };
