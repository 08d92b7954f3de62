import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyContextConfig } from 'fastify';

/**
 * Like Nest's @RouteConfig, but adds its keys to the route's config instead of replacing it, so
 * that several decorators of one route (@Authenticated, @OptionalJsonBody) each set their own.
 */
export function AddRouteConfig(config: FastifyContextConfig): MethodDecorator & ClassDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    const holder = (descriptor?.value as object | undefined) ?? target;
    const existing = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, holder) as
      FastifyContextConfig | undefined;
    Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...existing, ...config }, holder);
  };
}

/**
 * A route whose JSON body is optional: an empty body sent as `application/json` (as many HTTP
 * clients send a bodiless POST) is read as no body, not refused. Any other body is parsed as usual.
 */
export const OptionalJsonBody = () => AddRouteConfig({ optionalBody: true });
