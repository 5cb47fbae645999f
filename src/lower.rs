//! Lowering: the checked program made ready to run, once. Every closed subexpression (one that
//! reads no input, `let`, score, table, `today` or outer variable) is folded into a constant;
//! membership in constant texts, `today ± duration` and the like become the forms the evaluator
//! runs faster (`Expr::InTexts`, `Expr::ContainsTexts`, `Expr::ShiftedToday`), and `not` of a
//! comparison or membership becomes its opposite; the slots each
//! slot reads and the rules' decision order are recorded.
//!
//! Architecture invariant: lowering never changes a result or the steps it costs. A
//! subexpression whose evaluation would be missing (division by zero) is left alone so that its
//! runtime note still appears.

use crate::ast::Verdict;
use crate::eval;
use crate::program::{
    BinOp, Branch, DayMemo, Expr, FunctionDef, Program, Root, Slot, TemplatePart, TextSet, Value,
};

pub fn lower(mut program: Program) -> Program {
    for function in &mut program.functions {
        fold(&mut function.body, 0);
    }
    for definition in &mut program.lets {
        fold(&mut definition.expr, 0);
    }
    for score in &mut program.scores {
        for component in &mut score.components {
            fold(&mut component.expr, 0);
        }
    }
    for rule in &mut program.rules {
        if let Some(when) = &mut rule.when {
            fold(when, 0);
        }
        fold(&mut rule.condition, 0);
        for part in &mut rule.message {
            if let TemplatePart::Expr(expr) = part {
                fold(expr, 0);
            }
        }
    }
    name_branch_owners(&mut program);
    let functions = &program.functions;
    let lets = program
        .lets
        .iter()
        .map(|definition| slot_reads([&definition.expr], functions));
    let scores = (program.scores.iter()).map(|score| {
        slot_reads(
            score.components.iter().map(|component| &component.expr),
            functions,
        )
    });
    program.slot_reads = lets.chain(scores).collect();
    // Reject rules first, as the first to fail decides; past them only a missing outcome ends
    // a decision early. Within each group, rules whose own condition loops over a list come
    // last, so that a record decided (or incomplete) anyway does not pay for them.
    let mut order: Vec<(bool, usize, usize)> = (program.rules.iter().enumerate())
        .map(|(index, rule)| {
            let written = rule.when.iter().chain([&rule.condition]);
            (rule.verdict != Verdict::Reject, loops(written), index)
        })
        .collect();
    order.sort_unstable();
    program.decision_order = order.into_iter().map(|(_, _, index)| index).collect();
    program.json = crate::report::program_json(&program);
    program
}

/// Names the item that evaluates each branch of `Program::branches` the lowered program holds
/// (what folding left, outside constants, in the functions called), for coverage.
fn name_branch_owners(program: &mut Program) {
    fn visit(expr: &Expr, owner: &str, branches: &mut [Branch]) {
        if let Expr::Choose { arms, branch, .. } = expr {
            let first = branch.0 as usize;
            for branch in branches.iter_mut().skip(first).take(arms.len() + 1) {
                branch.owner = Some(owner.to_owned());
            }
        }
        expr.for_each_child(|child| visit(child, owner, branches));
    }
    let mut branches = std::mem::take(&mut program.branches);
    let mut read: Vec<(String, &Expr)> = Vec::new();
    for definition in &program.lets {
        read.push((format!("let {}", definition.name), &definition.expr));
    }
    for score in &program.scores {
        for component in &score.components {
            let owner = format!("score {}, component {}", score.name, component.name);
            read.push((owner, &component.expr));
        }
    }
    for rule in &program.rules {
        let parts = rule.message.iter().filter_map(|part| match part {
            TemplatePart::Expr(expr) => Some(expr),
            TemplatePart::Text(_) => None,
        });
        for expr in (rule.when.iter()).chain([&rule.condition]).chain(parts) {
            read.push((format!("rule {}", rule.name), expr));
        }
    }
    let called = called_functions(read.iter().map(|(_, expr)| *expr), &program.functions);
    for (function, _) in (program.functions.iter()).zip(called).filter(|(_, c)| *c) {
        read.push((format!("function {}", function.name), &function.body));
    }
    for (owner, expr) in &read {
        visit(expr, owner, &mut branches);
    }
    program.branches = branches;
}

/// The slots `exprs` read, each once, in order of first reading, through the bodies of the
/// functions they call too (each body visited once).
fn slot_reads<'e>(
    exprs: impl IntoIterator<Item = &'e Expr>,
    functions: &[FunctionDef],
) -> Vec<Slot> {
    let mut reads = Vec::new();
    visit_through_calls(exprs, functions, &mut |expr| {
        if let Expr::Place(place) = expr
            && let Root::Slot(slot) = place.root
            && !reads.contains(&slot)
        {
            reads.push(slot);
        }
    });
    reads
}

/// The quantifiers and comprehensions written in `exprs` (not through slots or functions).
fn loops<'e>(exprs: impl IntoIterator<Item = &'e Expr>) -> usize {
    fn visit(expr: &Expr, count: &mut usize) {
        if matches!(expr, Expr::Quantifier { .. } | Expr::Comprehension { .. }) {
            *count += 1;
        }
        expr.for_each_child(|child| visit(child, count));
    }
    let mut count = 0;
    exprs.into_iter().for_each(|expr| visit(expr, &mut count));
    count
}

/// Which of `functions` evaluating `exprs` may call, directly or through other functions.
fn called_functions<'e>(
    exprs: impl IntoIterator<Item = &'e Expr>,
    functions: &[FunctionDef],
) -> Vec<bool> {
    visit_through_calls(exprs, functions, &mut |_| {})
}

/// Calls `each` on every subexpression of `exprs` and of the bodies of the functions they
/// call, each body visited once; returns which functions were called.
fn visit_through_calls<'e>(
    exprs: impl IntoIterator<Item = &'e Expr>,
    functions: &[FunctionDef],
    each: &mut impl FnMut(&Expr),
) -> Vec<bool> {
    fn visit(
        expr: &Expr,
        functions: &[FunctionDef],
        called: &mut Vec<bool>,
        each: &mut impl FnMut(&Expr),
    ) {
        each(expr);
        expr.for_each_child(|child| visit(child, functions, called, each));
        if let Expr::CallFunction(function, _) = expr {
            let index = function.0 as usize;
            if let Some(seen @ false) = called.get_mut(index) {
                *seen = true;
                if let Some(function) = functions.get(index) {
                    visit(&function.body, functions, called, each);
                }
            }
        }
    }
    let mut called = vec![false; functions.len()];
    for expr in exprs {
        visit(expr, functions, &mut called, each);
    }
    called
}

/// Folds `expr` bottom-up; `bound` is the number of variables bound around it. Returns whether
/// `expr` is closed, i.e. reads nothing but constants and variables bound inside it.
fn fold(expr: &mut Expr, bound: u32) -> bool {
    let closed = match expr {
        Expr::Const(_) => return true,
        // A variable bound outside `expr` makes it depend on that binding.
        Expr::Place(place) => {
            return matches!(place.root, Root::Local(depth) if depth >= bound);
        }
        Expr::Today | Expr::ShiftedToday { .. } => return false,
        Expr::Lookup { key, .. } => {
            fold(key, bound);
            return false;
        }
        // Never folded: a call costs a step, and its arguments are evaluated only if read.
        Expr::CallFunction(_, args) => {
            for arg in args {
                fold(arg, bound);
            }
            return false;
        }
        Expr::Field { base: operand, .. }
        | Expr::Neg(operand)
        | Expr::Not(operand)
        | Expr::IsMissing(operand)
        | Expr::IsPresent(operand)
        | Expr::InTexts { operand, .. }
        | Expr::ContainsTexts { list: operand, .. }
        | Expr::Duration { count: operand, .. }
        | Expr::Matches(operand, _) => fold(operand, bound),
        Expr::Binary(_, lhs, rhs)
        | Expr::Coalesce(lhs, rhs)
        | Expr::Element {
            list: lhs,
            index: rhs,
        } => fold(lhs, bound) & fold(rhs, bound),
        Expr::List(elements) | Expr::Call(_, elements) => elements
            .iter_mut()
            .fold(true, |closed, e| fold(e, bound) & closed),
        Expr::Choose {
            arms, otherwise, ..
        } => {
            let mut closed = fold(otherwise, bound);
            for (condition, value) in arms {
                closed &= fold(condition, bound) & fold(value, bound);
            }
            closed
        }
        Expr::Quantifier {
            depth, list, body, ..
        } => fold(list, bound) & fold(body, *depth + 1),
        // A clause's list is inside the variables of the clauses before it.
        Expr::Comprehension { clauses, element } => {
            let mut closed = true;
            let mut inner = bound;
            for clause in clauses {
                closed &= fold(&mut clause.list, inner);
                inner = clause.depth + 1;
                if let Some(filter) = &mut clause.filter {
                    closed &= fold(filter, inner);
                }
            }
            closed & fold(element, inner)
        }
        Expr::Template(parts) => {
            let mut closed = true;
            for part in parts {
                if let TemplatePart::Expr(expr) = part {
                    closed &= fold(expr, bound);
                }
            }
            closed
        }
    };
    // Only whole closed expressions with no free variable are evaluated on their own.
    if closed && bound == 0 {
        // A closed expression calls no function (calls are never closed).
        let (value, notes) = eval::eval_const(expr, &[]);
        if notes.is_empty() && !value.is_missing() {
            *expr = Expr::Const(value);
            return true;
        }
    }
    *expr = specialise(std::mem::replace(expr, Expr::Today));
    closed
}

/// `expr` in a faster form of the same meaning and cost, where it has one.
fn specialise(expr: Expr) -> Expr {
    match expr {
        Expr::Binary(op @ (BinOp::In | BinOp::NotIn), operand, list)
            if let Expr::Const(list) = &*list
                && let Some(texts) = TextSet::new(list) =>
        {
            Expr::InTexts {
                negated: op == BinOp::NotIn,
                operand,
                texts,
            }
        }
        Expr::Binary(op @ (BinOp::ListContainsAny | BinOp::ListContainsAll), list, texts)
            if let Expr::Const(texts) = &*texts
                && let Some(texts) = TextSet::new(texts) =>
        {
            Expr::ContainsTexts {
                negated: false,
                all: op == BinOp::ListContainsAll,
                list,
                texts,
            }
        }
        Expr::Binary(op @ (BinOp::DatePlus | BinOp::DateMinus), ref left, ref right)
            if let (Expr::Today, Expr::Const(Value::Duration(duration))) = (&**left, &**right) =>
        {
            Expr::ShiftedToday {
                duration: *duration,
                sign: if op == BinOp::DatePlus { 1 } else { -1 },
                memo: DayMemo::default(),
            }
        }
        // `not` of a comparison or a membership is its opposite: one level less to evaluate
        // (`forbid` conditions are all `not`).
        Expr::Not(operand) => match *operand {
            Expr::Binary(op, left, right) if let Some(opposite) = op.opposite() => {
                Expr::Binary(opposite, left, right)
            }
            Expr::InTexts {
                negated,
                operand,
                texts,
            } => Expr::InTexts {
                negated: !negated,
                operand,
                texts,
            },
            Expr::ContainsTexts {
                negated,
                all,
                list,
                texts,
            } => Expr::ContainsTexts {
                negated: !negated,
                all,
                list,
                texts,
            },
            operand => Expr::Not(Box::new(operand)),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use crate::program::{BinOp, Expr};

    /// `today ± (count) unit` with a constant count is the memoised form of `today ± literal`.
    #[test]
    fn a_constant_computed_duration_lowers_like_a_literal() {
        let source = "input s { n: number }\n\
                      let literal = today - 3 months\n\
                      let constant = today - (2 + 1) months\n\
                      let computed = today - (s.n) months\n";
        let policy = crate::policy::compile(source).unwrap_or_else(|d| panic!("{d:#?}"));
        let lets = &policy.program().lets;
        assert!(matches!(lets[0].expr, Expr::ShiftedToday { .. }));
        assert_eq!(lets[0].expr, lets[1].expr);
        assert!(matches!(
            lets[2].expr,
            Expr::Binary(BinOp::DateMinus, _, ref duration) if matches!(**duration, Expr::Duration { .. })
        ));
    }
}
