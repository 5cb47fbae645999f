//! A narrow window on the evaluator for the remedy engine (`crate::remedy`): the truth and
//! value of any expression of the compiled program on the record evaluated, with quantifier
//! variables bound where the engine asks, the input path a place names, and the evaluator's own
//! comparison of two values. Nothing here evaluates anything the evaluator does not: a probe is
//! an explaining evaluator whose expressions the caller chooses.

use super::{Call, Elements, Evaluator, Scope};
use crate::date::Date;
use crate::input::ReferenceData;
use crate::program::{BinOp, Expr, FunctionDef, Program, Value};
use crate::types::Type;

use std::cell::OnceCell;

use super::EvalError;

pub(crate) struct Probe<'a> {
    evaluator: Evaluator<'a, true>,
    /// The scopes left by `enter_let` and `enter_call`, innermost last, and whether each
    /// entered a call.
    scopes: Vec<(Scope, bool)>,
}

impl<'a> Probe<'a> {
    /// A probe of `program` on `input`, its budget `max_steps` for all it is asked.
    pub(crate) fn new(
        program: &'a Program,
        input: &'a Value,
        data: &'a ReferenceData,
        today: Date,
        slots: &'a [OnceCell<Value>],
        max_steps: u64,
    ) -> Probe<'a> {
        Probe {
            evaluator: Evaluator::new(program, input, data, today, slots, max_steps),
            scopes: Vec::new(),
        }
    }

    /// The truth of a condition; `None` when it is missing.
    pub(crate) fn truth(&mut self, expr: &'a Expr) -> Option<bool> {
        self.evaluator.truth(expr).ok()
    }

    /// The value of an expression (missing with its cause).
    pub(crate) fn value(&mut self, expr: &'a Expr) -> Value {
        self.evaluator.eval(expr).into_owned()
    }

    /// The evaluator's comparison, membership or containment `op` of two values; `None` when
    /// it is missing.
    pub(crate) fn compare(&mut self, op: BinOp, left: &Value, right: &Value) -> Option<bool> {
        self.evaluator.compare(op, left, right).ok()
    }

    /// The input path the place `expr` names (`supplier.smelters[3].rmap_status`), its
    /// variables as bound now; `None` when it names no input place (a computed value, a table
    /// row, an element of a computed list).
    pub(crate) fn path(&self, expr: &'a Expr) -> Option<String> {
        let mut out = String::new();
        (self
            .evaluator
            .write_place(expr, self.evaluator.scope(), &mut out))
        .then_some(out)
    }

    /// The input path of the element the variable `Root::Local(depth)` is bound to now.
    pub(crate) fn variable_path(&self, depth: u32) -> Option<String> {
        let frame = self.evaluator.local(depth)?;
        let mut out = String::new();
        let scope = self.evaluator.scope();
        (self
            .evaluator
            .write_element(frame.list, frame.index, scope, &mut out))
        .then_some(out)
    }

    /// The list the variable `Root::Local(depth)` is bound to now.
    pub(crate) fn variable_list(&self, depth: u32) -> Option<&'a Expr> {
        Some(self.evaluator.local(depth)?.list)
    }

    /// The static type of a place, where the evaluator can tell.
    pub(crate) fn type_of(&self, expr: &'a Expr) -> Option<Type> {
        self.evaluator.type_of(expr).cloned()
    }

    /// Binds the variable `Root::Local(depth)` to the elements of `list`, as a quantifier
    /// does; their number, or `None` (nothing bound) when the list is missing.
    pub(crate) fn bind(&mut self, depth: u32, list: &'a Expr) -> Option<usize> {
        let elements = Elements::of(self.evaluator.eval(list)).ok()?;
        let len = elements.len();
        self.evaluator.bind(depth as usize, list, elements);
        Some(len)
    }

    /// Moves the variable `Root::Local(depth)` to element `index` of its list.
    pub(crate) fn bind_index(&mut self, depth: u32, index: usize) {
        self.evaluator.bind_index(depth as usize, index);
    }

    /// Reads names as a let's expression does, outside every quantifier of the caller (whose
    /// variables stay bound), until `leave`.
    pub(crate) fn enter_let(&mut self) {
        let scope = Scope {
            base: self.evaluator.locals.len(),
            call: None,
        };
        let left = self.evaluator.enter(scope);
        self.scopes.push((left, false));
    }

    /// Reads names as the body of `function` does when called with `args` here (as the
    /// evaluator calls it: each argument evaluated on first read, in this scope), until
    /// `leave`.
    pub(crate) fn enter_call(&mut self, function: &'a FunctionDef, args: &'a [Expr]) {
        let base = self.evaluator.locals.len();
        self.evaluator.calls.push(Call {
            args,
            params: &function.params,
            values: args.iter().map(|_| None).collect(),
            caller: self.evaluator.scope(),
            base,
        });
        let scope = Scope {
            base,
            call: Some(self.evaluator.calls.len() - 1),
        };
        let left = self.evaluator.enter(scope);
        self.scopes.push((left, true));
    }

    /// Back to the scope the last `enter_let` or `enter_call` left.
    pub(crate) fn leave(&mut self) {
        if let Some((scope, call)) = self.scopes.pop() {
            self.evaluator.locals.truncate(self.evaluator.local_base);
            self.evaluator.enter(scope);
            if call {
                self.evaluator.calls.pop();
            }
        }
    }

    /// `result`, unless the budget ran out while probing.
    pub(crate) fn finish<T>(&self, result: T) -> Result<T, EvalError> {
        self.evaluator.finish(result)
    }
}
