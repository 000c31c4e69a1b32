const a = "{{uesc .LGU}}";
const b = '{{xesc .GHP}}';
const c = "{{pct .LGU}}";
