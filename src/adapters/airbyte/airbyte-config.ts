import { ConfigError } from '../../errors.js';
import { airbyteLayout, switchGroupName } from './airbyte-spec.js';

/**
 * An Airbyte config (connectionSpecification's shape) -> the connector's connection config:
 * each login-method object is spread into the top level. The connector's own validation
 * (ajv, with the field named) runs on the result before any network I/O.
 * @throws CONFIG_INVALID naming the group when it is not an object.
 */
export function fromAirbyteConfig(input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ConfigError([{ field: '/', message: 'the Airbyte config must be a JSON object' }]);
  const config: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const choice of airbyteLayout().switches) {
    const name = switchGroupName(choice);
    const group = config[name];
    if (group === undefined) continue;
    if (typeof group !== 'object' || group === null || Array.isArray(group))
      throw new ConfigError([
        { field: `/${name}`, message: `${name} must be an object with ${choice.field.name}` },
      ]);
    delete config[name];
    Object.assign(config, group);
  }
  return config;
}
