import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RouteMetadataReflector } from './route-metadata.reflector';

@SetMetadata('budget', 'class')
class Routes {
  @SetMetadata('budget', 'handler')
  own(): void {}

  inherits(): void {}
}

describe('RouteMetadataReflector', () => {
  const plain = new Reflector();
  const { own, inherits } = Routes.prototype;

  it("answers as Nest's Reflector does: the handler's value, else the class's, else undefined", () => {
    const reflector = new RouteMetadataReflector();
    for (const targets of [
      [own, Routes],
      [inherits, Routes],
      [inherits, class Other {}],
      [own, class Other {}],
    ]) {
      for (const key of ['budget', 'absent']) {
        expect(reflector.getAllAndOverride(key, targets)).toBe(
          plain.getAllAndOverride(key, targets),
        );
      }
    }
    expect(reflector.getAllAndOverride('budget', [own, Routes])).toBe('handler');
    expect(reflector.getAllAndOverride('budget', [inherits, Routes])).toBe('class');
  });

  it('looks each (key, handler, class) up once, an undefined answer included', () => {
    const reflector = new RouteMetadataReflector();
    const lookups = jest.spyOn(Reflect, 'getMetadata');
    class Sub extends Routes {}
    const ask = () => [
      reflector.getAllAndOverride('absent', [own, Routes]),
      reflector.getAllAndOverride('budget', [inherits, Routes]),
      reflector.getAllAndOverride('budget', [inherits, Sub]),
    ];
    expect(ask()).toEqual([undefined, 'class', 'class']);
    const primed = lookups.mock.calls.length;
    expect(primed).toBeGreaterThan(0);
    for (let i = 0; i < 5; i += 1) expect(ask()).toEqual([undefined, 'class', 'class']);
    expect(lookups.mock.calls.length).toBe(primed);
    lookups.mockRestore();
  });

  it('leaves other target lists to the plain lookup', () => {
    const reflector = new RouteMetadataReflector();
    expect(reflector.getAllAndOverride('budget', [Routes])).toBe('class');
    expect(reflector.getAllAndOverride('budget', [own])).toBe('handler');
  });
});
