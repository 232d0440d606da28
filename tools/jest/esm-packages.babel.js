// NestJS 12, jose and a few other dependencies ship ES modules only. Node (20.19+, 22.12+, 24) loads
// them from our CommonJS build natively (require(esm)), but Jest's module runtime cannot (on Node 20
// at all; see jest.config.js), so Jest compiles those packages to CommonJS with this Babel transform. `import.meta` has no CommonJS form; the packages
// use it only to build a `require` or resolve a specifier, which the plugin below maps across.
function importMetaToCommonJs({ types: t, template }) {
  // Not `require('node:url')…`: the packages often declare their own `const require` right here.
  const url = template.expression.ast`'file://' + __filename`;
  return {
    visitor: {
      MetaProperty(path) {
        if (path.node.meta.name !== 'import' || path.node.property.name !== 'meta') return;
        const parent = path.parentPath;
        if (parent.isMemberExpression() && t.isIdentifier(parent.node.property, { name: 'url' })) {
          parent.replaceWith(t.cloneNode(url));
        } else if (parent.isMemberExpression() && t.isIdentifier(parent.node.property, { name: 'resolve' })) {
          parent.replaceWith(t.memberExpression(t.identifier('require'), t.identifier('resolve')));
        } else if (parent.isMemberExpression() && t.isIdentifier(parent.node.property, { name: 'dirname' })) {
          parent.replaceWith(t.identifier('__dirname'));
        } else if (parent.isMemberExpression() && t.isIdentifier(parent.node.property, { name: 'filename' })) {
          parent.replaceWith(t.identifier('__filename'));
        } else {
          path.replaceWith(t.objectExpression([t.objectProperty(t.identifier('url'), t.cloneNode(url))]));
        }
      },
    },
  };
}

module.exports = require('babel-jest').default.createTransformer({
  babelrc: false,
  configFile: false,
  compact: false,
  sourceType: 'module',
  plugins: [
    importMetaToCommonJs,
    '@babel/plugin-transform-dynamic-import',
    ['@babel/plugin-transform-modules-commonjs', { importInterop: 'node' }],
  ],
});
