//! Lowering: folds every closed subexpression (one that reads no input, `let`, score, table,
//! `today` or outer variable) into a constant, once, so evaluation never recomputes it, and
//! records which slots each slot reads, so that a decision computes only the slots it needs.
//!
//! Architecture invariant: lowering never changes a result. A subexpression whose evaluation
//! would be missing (division by zero) is left alone so that its runtime note still appears.

use crate::eval;
use crate::program::{Expr, Program, Slot, TemplatePart};

pub fn lower(mut program: Program) -> Program {
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
    let lets = program
        .lets
        .iter()
        .map(|definition| slot_reads([&definition.expr]));
    let scores = (program.scores.iter())
        .map(|score| slot_reads(score.components.iter().map(|component| &component.expr)));
    program.slot_reads = lets.chain(scores).collect();
    program
}

/// The slots `exprs` read, each once, in order of first reading.
fn slot_reads<'e>(exprs: impl IntoIterator<Item = &'e Expr>) -> Vec<Slot> {
    fn visit(expr: &Expr, reads: &mut Vec<Slot>) {
        match expr {
            Expr::Slot(slot) if !reads.contains(slot) => reads.push(*slot),
            _ => expr.for_each_child(|child| visit(child, reads)),
        }
    }
    let mut reads = Vec::new();
    for expr in exprs {
        visit(expr, &mut reads);
    }
    reads
}

/// Folds `expr` bottom-up; `bound` is the number of variables bound around it. Returns whether
/// `expr` is closed, i.e. reads nothing but constants and variables bound inside it.
fn fold(expr: &mut Expr, bound: u32) -> bool {
    let closed = match expr {
        Expr::Const(_) => return true,
        Expr::Input | Expr::Slot(_) | Expr::Today | Expr::Lookup { .. } => {
            if let Expr::Lookup { key, .. } = expr {
                fold(key, bound);
            }
            return false;
        }
        // A variable bound outside `expr` makes it depend on that binding.
        Expr::Local(depth) => return *depth >= bound,
        Expr::Field { base, .. } => fold(base, bound),
        Expr::Neg(operand)
        | Expr::Not(operand)
        | Expr::IsMissing(operand)
        | Expr::IsPresent(operand) => fold(operand, bound),
        Expr::Binary(_, lhs, rhs) | Expr::Coalesce(lhs, rhs) => fold(lhs, bound) & fold(rhs, bound),
        Expr::List(elements) | Expr::Call(_, elements) => fold_all(elements, bound),
        Expr::Choose { arms, otherwise } => {
            let mut closed = fold(otherwise, bound);
            for (condition, value) in arms {
                closed &= fold(condition, bound) & fold(value, bound);
            }
            closed
        }
        Expr::Quantifier {
            depth, list, body, ..
        } => fold(list, bound) & fold(body, *depth + 1),
        Expr::Comprehension {
            depth,
            list,
            element,
            filter,
        } => {
            let mut closed = fold(list, bound) & fold(element, *depth + 1);
            if let Some(filter) = filter {
                closed &= fold(filter, *depth + 1);
            }
            closed
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
        let (value, notes) = eval::eval_const(expr);
        if notes.is_empty() && !value.is_missing() {
            *expr = Expr::Const(value);
        }
    }
    closed
}

fn fold_all(exprs: &mut [Expr], bound: u32) -> bool {
    exprs
        .iter_mut()
        .fold(true, |closed, e| fold(e, bound) & closed)
}
