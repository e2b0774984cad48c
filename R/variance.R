# Variances that count the estimated weights.
#
# Every estimate in the package solves sum_i phi_i(mu; w) = 0 over people
# i, with weights w that solve their own estimating equations: a score
# U_s(theta_s) for each response model s, or a calibration equation. Stacked
# together these form one M-estimator, and its sandwich variance is what the
# functions here compute, by the chain rule rather than by inverting the
# whole stacked Jacobian:
#
#   IF(theta_s)_i = -J_s^{-1} (U_si + sum_{r<s} C_sr IF(theta_r)_i)
#   IF(mu)_i      = -D^{-1}   (phi_i + sum_s G_s IF(theta_s)_i)
#
# with J_s = dU_s/dtheta_s, C_sr = dU_s/dtheta_r (only calibrations chained
# on the previous wave's weights depend on earlier stages), D = dphi/dmu and
# G_s = dphi/dtheta_s = sum_t (dphi/dw_t) (dw_t/dtheta_s). The variance is
# n/(n - 1) times the sum of squares of the (centred) influence values over
# people, the same finite-population-free form that survey uses for a
# one-stage cluster design with people as clusters.
#
# Weight derivatives are kept on the log scale: dw_ti/dtheta_s =
# w_ti * L_ts[i, ], with L_ts = -(1 - p) x for an inverse-probability stage,
# (F'/F)(x'lambda) x for a calibration, (1 - p) x for a numerator model of
# stabilised weights. Constant stabilising factors and trimming caps are
# treated as fixed.

# All stages that shape the weights, in the order they were solved.
all_stages <- function(w) c(w$stages, w$numerator_stages)

# Does wave t's weight depend on stage st?
stage_feeds_wave <- function(w, st, t) {
  if (w$monotone) st$wave_index <= t else st$wave_index == t
}

# d log w / d theta (stage_log_factor()), the calibration scores and the
# chain derivatives C_sr of each kind of stage are in the registry of stage
# kinds (stages.R).

# The sandwich for estimating functions phi (N x q, people by estimates),
# D = dphi/dmu (q x q), and the derivatives of phi with respect to each
# wave's weights: dphi_dw[[t]] (N x q), or NULL for waves phi does not use,
# or list(rows, m) holding only the rows `rows` (distinct people) of it,
# or list(rows, m, sel): those rows are rows sel of m, or list(person, x,
# code, a, r, w, wave, t): an independence GEE's derivatives as factors,
# one row for each answer k whose wave[k] is t, of person person[k] and
# equal to ((a_k x_k) r_k + (a_k x_k) r_k) / (2 w_k) with x_k row code[k]
# (from 0) of x (row k when code is NULL), formed by the kernel as it
# reads them (src/gee.h).
# Returns the influence matrix (N x q).
#
# The stage influences IF(theta_s) (N x p_s each) are never formed: the
# estimates need only sum_s IF(theta_s) G_s', and with IF(theta_s) =
# (U_s + sum_r IF(theta_r) C_sr') P_s (P_s = I_s^{-1} for a response model,
# -J_s^{-T} for a calibration) that sum is sum_s U_s P_s H_s, where
# H_s = G_s' + sum_{k > s} C_ks' P_k H_k is accumulated from the last stage
# back (p_s x q matrices only). Each U_s is non-zero only on the rows at
# risk in stage s.
#
# phi may also be given by its entries, list(person, cell, v, n, q): v at
# (person, cell) of an n x q matrix, zero elsewhere (cell means), or by
# its rows, list(rows, m, n): rows `rows` (distinct) of an n x ncol(m)
# matrix, zero elsewhere (GEE scores); the kernel forms it in place of a
# copy (list(rows, m, n, overwrite = TRUE): the totals may be formed in m
# itself, which the caller does not read again). With `split` (phi by its
# entries, D diagonal and positive), the columns that no stage updates
# stay sparse (split_influence()).
estimate_influence <- function(w, phi, dmu, dphi_dw, sandwich = TRUE,
                               split = FALSE) {
  entries <- is.list(phi)
  if (!entries) phi <- double_matrix(phi)
  n_phi <- if (entries) phi$n else nrow(phi)
  q_phi <- if (!entries) ncol(phi) else phi$q %||% ncol(phi$m)
  row_names <- if (entries) NULL else rownames(phi)
  # each stage's U_s P_s H_s, added to phi in this order by the kernel
  # (influence_total in r_estimate.c)
  updates <- list()
  stages <- if (sandwich) all_stages(w) else list()
  if (length(stages)) {
    # each wave's derivatives with the wave's weights, for the kernel,
    # which forms G_s' = x_s' diag(a_s) (dphi/dlog w_t) summed over the
    # waves the stage feeds (estimate.c); dphi_dw[[t]] is a dense people x
    # q matrix, list(rows, m) (rows of it), or list(rows, col, v) (one
    # value per row, in column col: the cells of wave means; with
    # `range` = c(first, count), only those of its entries)
    weights <- double_matrix(w$weights)
    feed <- lapply(seq_along(dphi_dw), function(t) {
      d <- dphi_dw[[t]]
      if (is.null(d)) return(NULL)
      # the wave's column of the weights, read in place by the kernel
      # (which reads NA as 0)
      wt <- list(weights, t)
      if (!is.list(d)) {
        return(list(rows = seq_len(nrow(d)), m = double_matrix(d), wt = wt))
      }
      if (!is.null(d$col)) {
        # (with `range` = c(first, count): only those entries, read in
        # place)
        return(c(list(rows = as.integer(d$rows), col = as.integer(d$col),
                      v = as.double(d$v), wt = wt),
                 if (!is.null(d$range)) list(range = as.integer(d$range))))
      }
      if (!is.null(d$a)) {
        # the GEE's factors, with the model matrix's rows, read in place
        return(list(person = int_arg(d$person), x = double_matrix(d$x),
                    code = if (!is.null(d$code)) int_arg(d$code),
                    a = dbl_arg(d$a), r = dbl_arg(d$r), w = dbl_arg(d$w),
                    wt = wt, wave = int_arg(d$wave), t = as.integer(d$t)))
      }
      if (!is.null(d$sel)) {
        # rows sel of a larger matrix m, read in place by the kernel
        return(list(rows = int_arg(d$rows), m = double_matrix(d$m), wt = wt,
                    sel = int_arg(d$sel)))
      }
      list(rows = as.integer(d$rows), m = double_matrix(d$m), wt = wt)
    })
    # H_s, starting from G_s' = sum_t x_s' diag(a_s) (dphi/dlog w_t)
    h <- lapply(stages, function(st) {
      feeds <- Filter(function(t) {
        !is.null(feed[[t]]) && stage_feeds_wave(w, st, t)
      }, seq_along(feed))
      if (!length(feeds)) return(NULL)
      .Call(C_stage_gradient, double_matrix(st$x),
            dbl_arg(stage_log_factor(st)), int_arg(st$risk),
            feed[feeds], n_phi, q_phi)
    })
    for (k in rev(seq_along(stages))) {
      if (is.null(h[[k]])) next
      st <- stages[[k]]
      kind <- stage_kind(st)
      ph <- kind$project(st, h[[k]])
      if (kind$chain_on(st)) {
        for (r in seq_len(k - 1L)) {
          if (!stage_feeds_wave(w, stages[[r]], st$wave_index - 1L)) next
          c_sr <- chain_derivative(st, stages[[r]])
          h[[r]] <- (h[[r]] %||% 0) + crossprod(c_sr, ph)
        }
      }
      cols <- nonzero_cols(ph)
      if (!length(cols)) next
      m <- ph[, cols, drop = FALSE]
      updates[[length(updates) + 1L]] <- if (is_response_stage(st)) {
        # a model's scores are x_i r_i: the kernel forms r * (X m)
        list(risk = int_arg(st$risk), cols = as.integer(cols),
             r = dbl_arg(st$fit$residuals), x = double_matrix(st$x),
             m = double_matrix(m))
      } else {
        list(risk = int_arg(st$risk), cols = as.integer(cols),
             u = double_matrix(kind$scores_times(st, m)))
      }
    }
  }
  if (all(dmu[row(dmu) != col(dmu)] == 0)) {
    scale <- as.double(-diag(dmu))
    if (split && entries && !is.null(phi$cell) && all(scale > 0) &&
        all(is.finite(scale))) {
      return(split_influence(phi, updates, scale))
    }
    # D diagonal (Hajek means): solve() would divide each column by its d
    out <- .Call(C_influence_total, phi, updates, scale)
    return(set_influence_names(out, list(row_names, colnames(dmu))))
  }
  # -t(solve(D, t(total))) by the kernel, row by row from D's LU factors
  # (as dgesv, which solve() calls, solves each column); solve() on D
  # alone raises R's errors for a singular D
  dmu <- double_matrix(dmu)
  invisible(solve(dmu, numeric(nrow(dmu))))
  out <- .Call(C_influence_total, phi, updates, dmu)
  set_influence_names(out, list(row_names, colnames(dmu)))
}

# The kernel's totals with dimnames dn (none when both are NULL). The
# totals may be the caller's scores written over, still referenced by the
# caller: dimnames<- would copy them (an n x q matrix), so it is called
# only when the names change.
set_influence_names <- function(out, dn) {
  if (!all(vapply(dn, is.null, logical(1)))) {
    dimnames(out) <- dn
  } else if (!is.null(dimnames(out))) {
    dimnames(out) <- NULL
  }
  out
}

# Is st a response model (whose scores are x_i r_i, response_kind())?
is_response_stage <- function(st) {
  identical(stage_kind(st)$scores_times, response_scores_times)
}

# The columns of m with an entry other than 0 (NA and NaN count).
nonzero_cols <- function(m) which(colSums(m == 0, na.rm = TRUE) < nrow(m))

# The covariance of estimates from their influence values: without a
# sampling design, n/(n-1) times the centred cross-product (people as
# independent units); with one (`design`, the panel's, whose people are
# indexed by `people`, the rows of `infl`, all of them by default), the
# stratified cluster form of design_vcov() (sampling.R). Every variance of
# the package passes through here.
influence_vcov <- function(infl, design = NULL, people = NULL) {
  if (inherits(infl, "pa_split")) {
    return(columns_vcov(infl$dense, infl$columns,
                        c(infl$dense_cols, infl$sparse_cols), attr(infl, "n"),
                        design, people))
  }
  if (inherits(infl, "pa_columns")) {
    return(columns_vcov(NULL, infl, seq_along(infl), attr(infl, "n"), design,
                        people))
  }
  if (!is.null(design)) return(design_vcov(infl, design, people))
  infl <- double_matrix(infl)
  out <- .Call(C_influence_vcov, infl, NULL, NULL, NULL, 0L)
  dimnames(out) <- list(colnames(infl), colnames(infl))
  out
}

# influence_vcov() of influence values held (partly) by columns: `dense`
# (columns read as rows 1..n, the people in order; NULL for none) and the
# sparse `columns`, by the kernel of tipping_cross(), which gives the
# dense matrix's covariance to the last bit; `order_cols` the column of
# the whole matrix each of them is.
columns_vcov <- function(dense, columns, order_cols, n, design, people) {
  part <- if (is.null(dense)) {
    tipping_cross(matrix(0, 0L, 0L), integer(), integer(), unclass(columns),
                  design, people %||% seq_len(n))
  } else {
    tipping_cross(dense, seq_len(n), seq_len(ncol(dense)), unclass(columns),
                  design, people %||% seq_len(n))
  }
  q <- length(order_cols)
  out <- matrix(0, q, q)
  out[order_cols, order_cols] <- part
  # unnamed columns, as the dense matrix's
  dimnames(out) <- list(NULL, NULL)
  out
}

# Influence values held by their columns rather than as an n x q matrix
# (class "pa_columns", attribute n): for each column k, list(rows, values)
# with the rows (1..n) strictly increasing and zero elsewhere. Made from
# entries (person, cell, v) of a Hajek estimator with a diagonal D, the
# influence value of an entry being v / scale[cell] (estimate_influence()
# without weighting stages gives the same numbers in a dense matrix).
influence_columns <- function(person, cell, v, scale, n, q) {
  out <- .Call(C_influence_columns, as.integer(person), as.integer(cell),
               as.double(v), as.double(scale), as.integer(q))
  structure(out, class = "pa_columns", n = n)
}

# The dense n x q matrix of influence values held by columns.
dense_influence <- function(cols) {
  out <- matrix(0, attr(cols, "n"), length(cols))
  for (k in seq_along(cols)) {
    if (is.null(cols[[k]])) {
      out[, k] <- NA
    } else {
      out[cols[[k]][[1L]], k] <- cols[[k]][[2L]]
    }
  }
  out
}

# Influence values of Hajek estimates whose columns without weighting
# stages' updates are held by their entries (the columns of the first
# wave's cells without a frame, say): class "pa_split", list(dense = the n
# x length(dense_cols) values of the updated columns, dense_cols, columns
# = the others as pa_columns, sparse_cols), attributes n and q. The same
# numbers as the dense matrix, which is never formed.
split_influence <- function(phi, updates, scale) {
  q <- phi$q
  dense_cols <- sort(unique(unlist(lapply(updates, `[[`, "cols"),
                                   use.names = FALSE)))
  if (!length(dense_cols)) {
    return(influence_columns(phi$person, phi$cell, phi$v, scale, phi$n, q))
  }
  slot <- integer(q)
  slot[dense_cols] <- seq_along(dense_cols)
  updates <- lapply(updates, function(u) {
    u$cols <- slot[u$cols]
    u
  })
  parts <- .Call(C_influence_total,
                 list(as.integer(phi$person), as.integer(phi$cell),
                      as.double(phi$v), phi$n, as.integer(q),
                      as.integer(dense_cols)),
                 updates, scale)
  structure(list(dense = parts$dense, dense_cols = dense_cols,
                 columns = structure(parts$columns, class = "pa_columns",
                                     n = phi$n),
                 sparse_cols = setdiff(seq_len(q), dense_cols)),
            class = "pa_split", n = phi$n, q = q)
}

# The dense n x q matrix of split influence values.
dense_split <- function(x) {
  out <- matrix(0, attr(x, "n"), attr(x, "q"))
  out[, x$dense_cols] <- x$dense
  out[, x$sparse_cols] <- dense_influence(x$columns)
  out
}

# The design cross-products of two sets of influence values over the same
# people: the block of influence_vcov(cbind(a, b)) that pairs the columns
# of a with those of b, so cross-products (such as tipping_point()'s,
# kept by lean_tipping()) are aggregated exactly as every variance is.
influence_crossprod <- function(a, b, design = NULL, people = NULL) {
  if (identical(a, b)) return(influence_vcov(a, design, people))
  both <- influence_vcov(cbind(a, b), design, people)
  both[seq_len(ncol(a)), ncol(a) + seq_len(ncol(b)), drop = FALSE]
}
