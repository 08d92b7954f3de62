// Runs the @nestjs/swagger CLI plugin inside ts-jest with the options nest-cli.json gives `nest build`,
// so the OpenAPI document served in tests is the one the built gateway serves.
const plugin = require('@nestjs/swagger/plugin');
const nestCli = require('../../nest-cli.json');

const { options } = nestCli.compilerOptions.plugins.find((p) => p.name === '@nestjs/swagger');

module.exports = {
  name: 'nestjs-swagger-transformer',
  version: 1,
  factory: (compiler) => plugin.before(options, compiler.program),
};
