// A small validator of answers against clients/openapi.yaml's schemas (the
// document as JSON): what the end-to-end test needs to hold the real
// server's answers to the document, and nothing more. Objects are closed: a
// key the schema does not describe is an error, so an answer field the
// document lacks is caught here too.

type Schema = { [k: string]: unknown };

export class OpenAPI {
  constructor(readonly doc: Schema) {}

  schema(name: string): Schema {
    const s = (this.doc.components as Schema | undefined)?.schemas as Record<string, Schema> | undefined;
    const found = s?.[name];
    if (!found) throw new Error(`no schema ${name} in the document`);
    return found;
  }

  /** The errors of value against schema, each with its path; none when it conforms. */
  validate(schema: Schema, value: unknown, path = '$'): string[] {
    const s = this.#resolve(schema);
    const errors: string[] = [];
    if (Array.isArray(s.enum) && !s.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
    const type = this.#type(s);
    switch (type) {
      case 'string':
      case 'boolean':
        if (typeof value !== type) errors.push(`${path}: want ${type}, have ${JSON.stringify(value)}`);
        break;
      case 'integer':
        if (!Number.isInteger(value)) errors.push(`${path}: want integer, have ${JSON.stringify(value)}`);
        break;
      case 'number':
        if (typeof value !== 'number') errors.push(`${path}: want number, have ${JSON.stringify(value)}`);
        break;
      case 'array':
        if (!Array.isArray(value)) {
          errors.push(`${path}: want array, have ${JSON.stringify(value)}`);
          break;
        }
        value.forEach((v, i) => errors.push(...this.validate(s.items as Schema, v, `${path}[${i}]`)));
        break;
      case 'object': {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          errors.push(`${path}: want object, have ${JSON.stringify(value)}`);
          break;
        }
        const { properties, required } = this.#object(s);
        for (const r of required) if (!(r in value)) errors.push(`${path}: ${r} is required`);
        for (const [k, v] of Object.entries(value)) {
          const p = properties[k];
          if (!p) errors.push(`${path}.${k}: not in the document`);
          else errors.push(...this.validate(p, v, `${path}.${k}`));
        }
        break;
      }
      default:
        errors.push(`${path}: the schema has no type this validator knows (${String(type)})`);
    }
    return errors;
  }

  #resolve(s: Schema): Schema {
    const ref = s.$ref;
    if (typeof ref !== 'string') return s;
    return this.schema(ref.replace('#/components/schemas/', ''));
  }

  #type(s: Schema): unknown {
    return s.allOf ? 'object' : s.type;
  }

  #object(s: Schema): { properties: Record<string, Schema>; required: string[] } {
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const part of (s.allOf as Schema[] | undefined) ?? []) {
      const o = this.#object(this.#resolve(part));
      Object.assign(properties, o.properties);
      required.push(...o.required);
    }
    Object.assign(properties, (s.properties as Record<string, Schema> | undefined) ?? {});
    required.push(...((s.required as string[] | undefined) ?? []));
    return { properties, required };
  }
}
