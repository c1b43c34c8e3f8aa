// @ts-check
/**
 * TypeDoc plugin: public types written as `z.infer<typeof someSchema>` (Auth, ProtocolMapper) are
 * documented by the object type TypeScript computes for them, with their fields, instead of as a
 * reference to an internal zod schema. Same effect as a `@useDeclaredType` tag on each alias.
 */
import { Comment, Converter, ReflectionKind } from "typedoc";

const ZOD_ALIAS = /^z\.(infer|input|output)<typeof \w+>$/;

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.TypeAlias)) return;
    const declaration = context.getSymbolFromReflection(reflection)?.declarations?.[0];
    const declared = declaration && "type" in declaration ? declaration.type : undefined;
    if (!declared || typeof declared !== "object" || !("getText" in declared) || !ZOD_ALIAS.test(declared.getText())) return;
    reflection.comment ??= new Comment();
    reflection.comment.modifierTags.add("@useDeclaredType");
  });
}
