import { Reflector } from '@nestjs/core';

/**
 * A Reflector that answers `getAllAndOverride` from memory after the first lookup per (metadata
 * key, handler, class). Decorators set route metadata once, at boot, so the answer never changes;
 * ThrottlerGuard asks five keys per window on every request, each a walk of reflect-metadata's
 * maps (a tenth of a send's own instructions with three windows).
 */
export class RouteMetadataReflector extends Reflector {
  /** handler → the class it is called through → metadata key → answer. */
  private readonly answers = new WeakMap<object, WeakMap<object, Map<unknown, unknown>>>();

  override getAllAndOverride<TResult = unknown, TKey = unknown>(
    metadataKey: TKey,
    targets: (object | undefined)[],
  ): TResult {
    // [handler, class], as guards ask; a handler may be reached through a subclass.
    const [handler, classRef] = targets;
    if (targets.length !== 2 || typeof handler !== 'function' || typeof classRef !== 'function') {
      return super.getAllAndOverride<TResult, TKey>(metadataKey, targets as never);
    }
    let byClass = this.answers.get(handler);
    if (!byClass) this.answers.set(handler, (byClass = new WeakMap()));
    let byKey = byClass.get(classRef);
    if (!byKey) byClass.set(classRef, (byKey = new Map()));
    if (!byKey.has(metadataKey)) {
      byKey.set(metadataKey, super.getAllAndOverride<TResult, TKey>(metadataKey, targets as never));
    }
    return byKey.get(metadataKey) as TResult;
  }
}
