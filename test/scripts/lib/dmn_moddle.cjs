// Reads DMN files with dmn-moddle, the reader of Camunda Modeler and dmn-js,
// and compares what it reads with what the exporter meant to write.
//
//   node dmn_moddle.cjs MODULES_DIR FILE EXPECTED_JSON
//
// MODULES_DIR is the node_modules directory holding dmn-moddle; EXPECTED_JSON
// is {"hitPolicy", "aggregation" (or null), "rules", "inputs": [label...],
// "outputs": [name...]}.  Prints one line per problem (a warning of the
// reader: unknown element or attribute, unresolved reference; or a
// difference) and exits 1 when there is any, 2 when the file does not parse.
'use strict';
const fs = require('fs');
const path = require('path');
const DmnModdle = require(require.resolve('dmn-moddle', { paths: [path.dirname(process.argv[2])] }));

async function main() {
  const xml = fs.readFileSync(process.argv[3], 'utf8');
  const want = JSON.parse(process.argv[4]);
  const problems = [];
  let read;
  try {
    read = await new DmnModdle().fromXML(xml, 'dmn:Definitions');
  } catch (err) {
    console.log('error: ' + err.message);
    process.exit(2);
  }
  for (const w of read.warnings) {
    problems.push('warning: ' + w.message.replace(/\s+/g, ' '));
  }
  const defs = read.rootElement;
  const decisions = (defs.drgElement || []).filter((e) => e.$type === 'dmn:Decision');
  const table = decisions.length === 1 ? decisions[0].decisionLogic : null;
  if (!table || table.$type !== 'dmn:DecisionTable') {
    problems.push('not one decision with a decision table');
  } else {
    const got = {
      hitPolicy: table.hitPolicy || 'UNIQUE',
      aggregation: table.aggregation || null,
      rules: (table.rule || []).length,
      inputs: (table.input || []).map((i) => i.label),
      outputs: (table.output || []).map((o) => o.name),
    };
    for (const k of Object.keys(want)) {
      if (JSON.stringify(got[k]) !== JSON.stringify(want[k])) {
        problems.push(`${k}: read ${JSON.stringify(got[k])}, expected ${JSON.stringify(want[k])}`);
      }
    }
    // every rule has one entry per input and per output, each with its text
    (table.rule || []).forEach((r, n) => {
      const ins = r.inputEntry || [];
      const outs = r.outputEntry || [];
      if (ins.length !== got.inputs.length || outs.length !== got.outputs.length
          || ins.concat(outs).some((e) => typeof e.text !== 'string')) {
        problems.push(`rule ${n + 1}: ${ins.length} input and ${outs.length} output entries read`);
      }
    });
    // the diagram shape refers to the decision
    const shapes = ((defs.dmnDI && defs.dmnDI.diagrams) || []).flatMap((d) => d.diagramElements || []);
    if (shapes.length === 0 || shapes.some((s) => !s.dmnElementRef || s.dmnElementRef !== decisions[0])) {
      problems.push('the diagram shape does not refer to the decision');
    }
  }
  problems.forEach((p) => console.log(p));
  process.exit(problems.length ? 1 : 0);
}
main();
