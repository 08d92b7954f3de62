import { RouteConfig } from '@nestjs/platform-fastify';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import { Authenticated } from '../tenants/authenticated.decorator';
import { AddRouteConfig, OptionalJsonBody } from './route-config';

const configOf = (handler: unknown): unknown =>
  Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler as object);

describe('AddRouteConfig', () => {
  it('adds to the config of a route whichever decorator comes first', () => {
    class Routes {
      @OptionalJsonBody()
      @Authenticated('events:manage')
      above(): void {}

      @Authenticated('events:manage')
      @OptionalJsonBody()
      below(): void {}
    }
    const expected = { gatewayKeyRequired: true, optionalBody: true };
    expect(configOf(Routes.prototype.above)).toEqual(expected);
    expect(configOf(Routes.prototype.below)).toEqual(expected);
  });

  it("keeps a config set by Nest's own @RouteConfig beneath it", () => {
    class Routes {
      @AddRouteConfig({ optionalBody: true })
      @RouteConfig({ rawBody: true })
      handler(): void {}
    }
    expect(configOf(Routes.prototype.handler)).toEqual({ rawBody: true, optionalBody: true });
  });

  it('sets a class its own config', () => {
    @AddRouteConfig({ optionalBody: true })
    class Routes {}
    expect(configOf(Routes)).toEqual({ optionalBody: true });
  });
});
