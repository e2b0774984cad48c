# The cells of the estimate tables and their bootstrap replicates, against
# cell-by-cell loops.

oracle_mean_cells <- function(y, name, rows, group) {
  waves_present <- sort(unique(rows$wave[!is.na(y)]))
  categorical <- is.factor(y) || is.character(y)
  binary <- is.logical(y) ||
    (is.numeric(y) && all(y[!is.na(y)] %in% c(0, 1)) && !all(is.na(y)))
  levels_y <- if (!categorical) NA_character_ else if (is.factor(y)) {
    levels(y)
  } else {
    sort(unique(y[!is.na(y)]))
  }
  groups <- if (all(is.na(group))) NA else sort_unique(group)
  out <- list()
  for (t in waves_present) {
    for (g in as.list(groups)) {
      in_wave <- rows$wave == t & !is.na(y)
      in_cell <- in_wave & (if (all(is.na(group))) TRUE else group == g)
      for (lv in levels_y) {
        val <- if (categorical) as.numeric(y == lv) else as.numeric(y)
        out[[length(out) + 1L]] <- data.frame(
          outcome = name, level = lv, wave_index = t,
          group = if (is.factor(group)) as.character(g) else g,
          type = if (categorical || binary) "proportion" else "mean",
          members = I(list(which(in_cell))), values = I(list(val[in_cell])),
          wave_members = I(list(which(in_wave))),
          wave_values = I(list(val[in_wave])), stringsAsFactors = FALSE
        )
      }
    }
  }
  do.call(rbind, out)
}

test_that("mean_cells() builds the cells of a cell-by-cell loop", {
  set.seed(3)
  n <- 600
  rows <- data.frame(person = sample(200, n, TRUE),
                     wave = sample(c(1L, 3L, 4L), n, TRUE), row = seq_len(n))
  ys <- list(
    rnorm(n), ifelse(runif(n) < 0.2, NA, rnorm(n)), rbinom(n, 1, 0.3),
    runif(n) < 0.5, sample(c("x", "a", "m"), n, TRUE),
    factor(sample(c("x", "a"), n, TRUE), levels = c("x", "a", "zz")),
    ifelse(rows$wave == 1L, NA, 1), rep(NA_real_, n)
  )
  groups <- list(
    rep(NA, n),
    factor(sample(c("b", "a", "c"), n, TRUE), levels = c("c", "b", "a", "d")),
    sample(c("b", "a"), n, TRUE), sample(c(2.5, 1, 7), n, TRUE),
    ifelse(runif(n) < 0.01, "rare", "common")
  )
  for (y in ys) {
    for (g in groups) {
      expect_identical(mean_cells(y, "v", rows, g),
                       oracle_mean_cells(y, "v", rows, g))
    }
  }
})

test_that("bootstrap_cells() gives each cell's replicate Hajek means", {
  s <- sim_panel(n = 400, seed = 21)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y")
  ctrl <- boot_control(B = 30, seed = 2)
  reps <- replicate_weights(w, ctrl)
  rows <- panel_rows(w)
  y <- ifelse(seq_len(nrow(rows)) %% 7 == 0, NA, panel$data$y)
  cells <- mean_cells(y, "y", rows, group_values(w, "g", rows))
  got <- bootstrap_cells(w, cells, rows, ctrl)
  want <- vapply(seq_len(nrow(cells)), function(k) {
    m <- cells$members[[k]]
    t <- cells$wave_index[k]
    rw <- reps[[t]][match(rows$person[m], which(w$panel$response[, t])), ,
                    drop = FALSE]
    colSums(rw * cells$values[[k]]) / colSums(rw)
  }, numeric(ctrl$B))
  expect_equal(got$replicates, unname(want), tolerance = 1e-13)
  expect_equal(got$vcov, stats::cov(unname(want)), tolerance = 1e-12)
})
