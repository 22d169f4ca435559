import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, type ConstDirectiveNode, type DefinitionNode } from 'graphql';
import { ERROR_CODES } from '../../src/errors';

/**
 * The schema reads as documentation: every type, field, argument, input field and enum value of
 * schema/schema.graphql has a description, and the ErrorCode enum is the error registry.
 */

const sdl = readFileSync(join(__dirname, '..', '..', 'schema', 'schema.graphql'), 'utf8');
const doc = parse(sdl);

function undescribed(def: DefinitionNode): string[] {
  const missing: string[] = [];
  if (!('name' in def) || !def.name) return missing;
  const name = def.name.value;
  if ('description' in def && !def.description) missing.push(name);
  if (def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) {
    for (const field of def.fields ?? []) {
      if (!field.description) missing.push(`${name}.${field.name.value}`);
      if ('arguments' in field) for (const arg of field.arguments ?? []) if (!arg.description) missing.push(`${name}.${field.name.value}(${arg.name.value})`);
    }
  }
  if (def.kind === Kind.ENUM_TYPE_DEFINITION) for (const v of def.values ?? []) if (!v.description) missing.push(`${name}.${v.name.value}`);
  return missing;
}

test('every type, field, argument, input field and enum value is described', () => {
  const counted = doc.definitions.flatMap((d) => undescribed(d));
  expect(counted).toEqual([]);
});

test('the ErrorCode enum lists exactly the registry codes', () => {
  const errorCode = doc.definitions.find((d) => d.kind === Kind.ENUM_TYPE_DEFINITION && d.name.value === 'ErrorCode');
  if (errorCode?.kind !== Kind.ENUM_TYPE_DEFINITION) throw new Error('no ErrorCode enum');
  expect(errorCode.values!.map((v) => v.name.value).sort()).toEqual(Object.keys(ERROR_CODES).sort());
});

test('each deprecated element says what to use instead', () => {
  const reasons: string[] = [];
  const collect = (directives: readonly ConstDirectiveNode[] | undefined) =>
    directives
      ?.filter((d) => d.name.value === 'deprecated')
      .forEach((d) => reasons.push((d.arguments?.[0]?.value as { value?: string } | undefined)?.value ?? ''));
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    for (const f of def.fields ?? []) {
      collect(f.directives);
      for (const a of f.arguments ?? []) collect(a.directives);
    }
  }
  expect(reasons.length).toBeGreaterThan(0);
  for (const reason of reasons) expect(reason).toMatch(/^Use /);
});
