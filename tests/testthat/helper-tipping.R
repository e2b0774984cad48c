# The record tipping_point() reads, made by the R formula from the
# people's material that people_table() keeps (tipping_material() and
# the influence values), as tables made it before they made it from
# their cells (lean_tipping()): the reference of test-speed-paths.R.
lean_reference <- function(full, fingerprint, redo) {
  ns <- asNamespace("panelattrition")
  mat <- attr(full, "tipping")
  infl <- attr(full, "influence")
  q <- nrow(full)
  rec <- list(fingerprint = fingerprint, redo = redo, error = mat$error,
              rows = vector("list", q), cross = NULL)
  if (!is.null(mat$error)) return(rec)
  mean_rows <- integer()
  for (k in seq_len(q)) {
    r <- mat$rows[[k]]
    if (is.null(r)) next
    if (!is.null(r$error)) {
      rec$rows[[k]] <- list(error = r$error)
    } else if (r$type == "mean") {
      rec$rows[[k]] <- list(type = "mean", sd = r$sd)
      mean_rows <- c(mean_rows, k)
    } else {
      rec$rows[[k]] <- list(type = r$type)
    }
  }
  if (!length(mean_rows)) return(rec)
  mark <- logical(mat$n_all)
  mark[infl$people] <- TRUE
  for (grp in mat$groups) mark[grp] <- TRUE
  people <- which(mark)
  pos <- integer(mat$n_all)
  pos[people] <- seq_along(people)
  d <- numeric(mat$n_all)
  d[] <- mat$d
  m <- length(mean_rows)
  both <- matrix(0, length(people), 2L * m)
  both[pos[infl$people], seq_len(m)] <- infl$values[, mean_rows, drop = FALSE]
  for (j in seq_len(m)) {
    k <- mean_rows[j]
    r <- mat$rows[[k]]
    grp <- mat$groups[[r$group]]
    dd <- d[grp]
    s1 <- ifelse(as.logical(rawToBits(r$answered))[seq_along(grp)], 0, 1)
    share <- sum(dd * s1) / sum(dd)
    both[pos[grp], m + j] <- dd * (s1 - share) / sum(dd)
    rec$rows[[k]]$share <- share
  }
  cp <- ns$influence_vcov(both, mat$design, people)
  blank <- matrix(NA_real_, q, q)
  rec$cross <- list(B = blank, C = blank, V = blank)
  i <- seq_len(m)
  rec$cross$B[mean_rows, mean_rows] <- cp[i, i]
  rec$cross$C[mean_rows, mean_rows] <- cp[i, m + i]
  rec$cross$V[mean_rows, mean_rows] <- cp[m + i, m + i]
  rec
}

