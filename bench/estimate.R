# Benchmark of the estimation pipeline: attrition weights, weighted wave
# means by group and a weighted GEE, against glm() + survey::svyby() +
# geepack::geeglm(); and of the bootstrap with re-fitted weights against a
# glm()-in-a-loop bootstrap.
#
#   Rscript bench/estimate.R [n_pipeline] [n_boot] [B]
#                                    (defaults 1e5 people, 1e4 people, 1000)
#
# The package must be installed where R finds it (e.g. R_LIBS=/path/to/lib).
# Takes about 10 minutes on 2 busy cores, most of it in the glm() loop.
# See bench/README.md.

suppressPackageStartupMessages({
  library(panelattrition)
  library(survey)
  library(geepack)
})

args <- commandArgs(trailingOnly = TRUE)
num_arg <- function(i, default) {
  if (length(args) >= i) as.numeric(args[[i]]) else default
}
n_pipe <- num_arg(1L, 1e5)
n_boot <- num_arg(2L, 1e4)
B <- num_arg(3L, 1000)
if (anyNA(c(n_pipe, n_boot, B)) || any(c(n_pipe, n_boot) < 100) ||
    B < 2 || any(c(n_pipe, n_boot, B) != round(c(n_pipe, n_boot, B)))) {
  stop("arguments: whole numbers n_pipeline >= 100, n_boot >= 100, B >= 2")
}
n_runs <- 3L
options(width = 120)  # the result tables are wide

# ---------------------------------------------------------------------------
# The panel: simulate_panel() from bench/simulate.R, next to this script

bench_dir <- dirname(sub("^--file=", "",
                         grep("^--file=", commandArgs(FALSE), value = TRUE)[1L]))
source(file.path(bench_dir, "simulate.R"))

make_panel <- function(n) {
  sim <- simulate_panel(n)
  panel <- panel_data(sim$long, id = "id", wave = "wave",
                      baseline = sim$covariates)
  list(panel = panel, formula = stats::reformulate(sim$covariates),
       covariates = sim$covariates)
}

# ---------------------------------------------------------------------------
# The oracle pieces

# The data of each response model (those who answered the wave before,
# their covariates and y then) and who of them answered.
at_risk_data <- function(panel, covariates) {
  resp <- panel$response
  people <- panel$baseline
  answers <- panel$data
  lapply(seq_len(ncol(resp))[-1L], function(t) {
    risk <- which(resp[, t - 1L])
    before <- answers[answers$wave == panel$waves[t - 1L], c("id", "y")]
    d <- people[risk, covariates]
    d$y_prev <- before$y[match(people$id[risk], before$id)]
    d$answered <- resp[risk, t]
    list(risk = risk, data = d)
  })
}

# Inverse-probability weights from glm(), stage by stage, with person
# weights `r` as prior weights (all 1 for the point estimates). Tolerance
# as the package's (relative change in deviance 1e-10). quasibinomial()
# gives binomial()'s fit without its warning about non-integer weights.
glm_weights <- function(stages, resp, covariates, r = NULL) {
  model <- stats::reformulate(c(covariates, "y_prev"), response = "answered")
  w <- matrix(NA_real_, nrow(resp), ncol(resp))
  w[resp[, 1L], 1L] <- 1
  for (s in seq_along(stages)) {
    t <- s + 1L
    d <- stages[[s]]$data
    risk <- stages[[s]]$risk
    d$prior <- if (is.null(r)) 1 else r[risk]
    fit <- stats::glm(model, family = stats::quasibinomial(), data = d,
                      weights = prior,
                      control = stats::glm.control(epsilon = 1e-10,
                                                   maxit = 100))
    stay <- d$answered
    w[risk[stay], t] <- w[risk[stay], t - 1L] / stats::fitted(fit)[stay]
  }
  w
}

# The weight of each row of the panel's data.
row_weights <- function(panel, w) {
  w[cbind(match(panel$data$id, panel$baseline$id),
          as.integer(panel$data$wave))]
}

# ---------------------------------------------------------------------------
# Load and timing helpers, as in bench/read.R

machine_busy <- function() {
  if (!file.exists("/proc/stat")) return(NA_real_)
  v <- as.numeric(strsplit(readLines("/proc/stat", n = 1L), " +")[[1L]][-1L])
  (sum(v[1:8]) - v[4L] - v[5L]) / 100  # ticks of USER_HZ = 100
}
own_cpu <- function() sum(proc.time()[c("user.self", "sys.self")])
load_meter <- function() {
  start <- c(busy = machine_busy(), own = own_cpu(),
             wall = proc.time()[["elapsed"]])
  function() {
    now <- c(busy = machine_busy(), own = own_cpu(),
             wall = proc.time()[["elapsed"]])
    d <- now - start
    (d[["busy"]] - d[["own"]]) / d[["wall"]]
  }
}
elapsed <- function(expr) {
  invisible(gc())
  system.time(expr)[["elapsed"]]
}
max_rel_diff <- function(a, b) {
  a <- unname(as.numeric(a))
  b <- unname(as.numeric(b))
  if (length(a) != length(b) || !identical(is.na(a), is.na(b))) return(Inf)
  ok <- !is.na(a)
  max(abs(a[ok] - b[ok]) / pmax(abs(b[ok]), 1e-300))
}

cat(sprintf(paste("%s, R %s, panelattrition %s, survey %s, geepack %s,",
                  "%d cores, OpenMP threads available: %s\n"),
            format(Sys.time(), "%Y-%m-%d %H:%M"), getRversion(),
            utils::packageVersion("panelattrition"),
            utils::packageVersion("survey"), utils::packageVersion("geepack"),
            parallel::detectCores(),
            Sys.getenv("OMP_NUM_THREADS", "(OMP_NUM_THREADS unset)")))
busy0 <- machine_busy()
Sys.sleep(1)
cat(sprintf("CPU busy on the machine in the second before timing: %.2f cores\n",
            machine_busy() - busy0))

# ---------------------------------------------------------------------------
# Part 1: point estimates and standard errors at n_pipe people
#   panelattrition: attrition_weights() -> wave_means(by = "g") (sandwich
#     standard errors, the default) -> ipw_gee(y ~ wave * g) (sandwich)
#   oracle: glm() per stage -> svyby(svymean) on a one-stage cluster design
#     (naive standard errors) -> geeglm(corstr = "independence")

cat(sprintf("\n== Part 1: pipeline, %s people x 3 waves\n",
            format(n_pipe, big.mark = ",", scientific = FALSE)))
setup <- make_panel(n_pipe)
panel <- setup$panel
cat(sprintf("respondents per wave: %s\n",
            paste(formatC(colSums(panel$response), format = "d",
                          big.mark = ","), collapse = ", ")))

pa_pipeline <- function() {
  times <- c(weights = 0, means = 0, gee = 0)
  times[["weights"]] <- elapsed(
    w <- attrition_weights(panel, setup$formula, history = "y",
                           stabilize = FALSE)
  )
  times[["means"]] <- elapsed(m <- wave_means(w, "y", by = "g"))
  times[["gee"]] <- elapsed(fit <- ipw_gee(y ~ wave * g, weights = w))
  list(times = times, w = w, means = m, gee = fit)
}
oracle_pipeline <- function() {
  times <- c(weights = 0, means = 0, gee = 0)
  times[["weights"]] <- elapsed({
    stages <- at_risk_data(panel, setup$covariates)
    w <- glm_weights(stages, panel$response, setup$covariates)
  })
  long <- panel$data  # ordered by person then wave, as geeglm needs
  times[["means"]] <- elapsed({
    long$w <- row_weights(panel, w)
    design <- survey::svydesign(ids = ~id, weights = ~w, data = long)
    m <- survey::svyby(~y, ~wave + g, design, survey::svymean)
  })
  times[["gee"]] <- elapsed(
    fit <- geepack::geeglm(y ~ wave * g, id = id, weights = w, data = long,
                           corstr = "independence")
  )
  list(times = times, w = w, means = m, gee = fit)
}

# One untimed run of each first, so that neither side's times include
# first-call costs (R growing its heap, code paged in); then n_pipe_runs
# timed runs, interleaved.
invisible(pa_pipeline())
invisible(oracle_pipeline())
n_pipe_runs <- 5L
meter <- load_meter()
t_pa <- t_or <- matrix(NA_real_, n_pipe_runs, 3L,
                       dimnames = list(NULL, c("weights", "means", "gee")))
for (i in seq_len(n_pipe_runs)) {
  pa <- pa_pipeline()
  or <- oracle_pipeline()
  t_pa[i, ] <- pa$times
  t_or[i, ] <- or$times
  cat(sprintf("  run %d: panelattrition %.2f s (%s), oracle %.2f s (%s)\n", i,
              sum(pa$times), paste(sprintf("%.2f", pa$times), collapse = " + "),
              sum(or$times), paste(sprintf("%.2f", or$times), collapse = " + ")))
}
# the same calls with the oracle's kind of standard errors, for reference
t_naive <- vapply(seq_len(n_pipe_runs), function(i) {
  elapsed(wave_means(pa$w, "y", by = "g", se = "naive"))
}, numeric(1))
t_gee_naive <- vapply(seq_len(n_pipe_runs), function(i) {
  elapsed(ipw_gee(y ~ wave * g, weights = pa$w, se = "naive"))
}, numeric(1))
load_pipe <- meter()
cat(sprintf("CPU taken by other processes meanwhile: %.2f cores on average\n",
            load_pipe))

med <- function(x) stats::median(x)
pipe_tab <- data.frame(
  step = c("weights", "wave means by g", "GEE y ~ wave * g", "pipeline total",
           "wave means, naive SE", "GEE, naive SE"),
  panelattrition = c("attrition_weights()", "wave_means() (sandwich)",
                     "ipw_gee() (sandwich)", "",
                     "wave_means(se = \"naive\")", "ipw_gee(se = \"naive\")"),
  oracle = c("glm() x 2 stages", "svyby(svymean)", "geeglm()", "",
             "svyby(svymean)", "geeglm()"),
  pa_s = c(apply(t_pa, 2, med), med(rowSums(t_pa)), med(t_naive),
           med(t_gee_naive)),
  oracle_s = c(apply(t_or, 2, med), med(rowSums(t_or)), med(t_or[, "means"]),
               med(t_or[, "gee"]))
)
pipe_tab$ratio <- pipe_tab$oracle_s / pipe_tab$pa_s

# Agreement
sv <- or$means
pm <- pa$means
key_pa <- paste(pm$wave, pm$g)
key_sv <- paste(sv$wave, sv$g)
naive <- wave_means(pa$w, "y", by = "g", se = "naive")
gee_naive <- ipw_gee(y ~ wave * g, weights = pa$w, se = "naive")
gee_coefs <- summary(or$gee)$coefficients  # a data frame
gee_se <- stats::setNames(gee_coefs[["Std.err"]], rownames(gee_coefs))
checks1 <- data.frame(
  check = c("weights vs glm()",
            "wave means vs svyby()",
            "wave means naive SE vs svyby() SE",
            "GEE coefficients vs geeglm()",
            "GEE naive SE vs geeglm() robust SE"),
  max_rel_diff = c(
    max_rel_diff(pa$w$weights, or$w),
    max_rel_diff(pm$estimate, sv$y[match(key_pa, key_sv)]),
    max_rel_diff(naive$std_error, sv$se[match(key_pa, key_sv)]),
    max_rel_diff(coef(pa$gee), coef(or$gee)[names(coef(pa$gee))]),
    max_rel_diff(sqrt(diag(vcov(gee_naive))), gee_se[names(coef(pa$gee))])
  ),
  tolerance = c(1e-8, 1e-8, 1e-8, 1e-8, 1e-4)
)
se_ratio <- pm$std_error / sv$se[match(key_pa, key_sv)]
rm(pa, or, naive, gee_naive, panel, setup)

# ---------------------------------------------------------------------------
# Part 2: bootstrap, B replicates with re-fitted weights, at n_boot people
#   panelattrition: wave_means(se = "bootstrap"), threads 1 and 2
#   oracle: for each replicate, Bayesian bootstrap person weights r
#     (standard exponential over their mean), glm() per stage with prior
#     weights r, analysis weights r / (cumulative fitted probability), Hajek
#     means per wave and g; the standard error is the SD of the replicates.

cat(sprintf("\n== Part 2: bootstrap, B = %d, %s people x 3 waves\n", B,
            format(n_boot, big.mark = ",", scientific = FALSE)))
setup <- make_panel(n_boot)
panel <- setup$panel
w <- attrition_weights(panel, setup$formula, history = "y", stabilize = FALSE)
resp <- panel$response
g_rows <- panel$data$g
wave_rows <- as.integer(panel$data$wave)
person_rows <- match(panel$data$id, panel$baseline$id)
cells <- unique(data.frame(wave = wave_rows, g = g_rows))
cells <- cells[order(cells$wave, cells$g), ]

glm_bootstrap <- function(draws) {
  stages <- at_risk_data(panel, setup$covariates)
  n <- nrow(resp)
  est <- matrix(NA_real_, B, nrow(cells))
  y <- panel$data$y
  cell_rows <- lapply(seq_len(nrow(cells)), function(k) {
    which(wave_rows == cells$wave[k] & g_rows == cells$g[k])
  })
  for (b in seq_len(B)) {
    r <- draws(b)
    wb <- glm_weights(stages, resp, setup$covariates, r = r)
    a <- r[person_rows] * wb[cbind(person_rows, wave_rows)]
    for (k in seq_along(cell_rows)) {
      i <- cell_rows[[k]]
      est[b, k] <- sum(a[i] * y[i]) / sum(a[i])
    }
  }
  est
}
# The loop uses the package's own Bayesian bootstrap draws, so that the
# replicates can be compared one by one: everyone answers wave 1, where a
# replicate's analysis weight is r times a weight of 1. Taking them out of
# a matrix instead of calling rexp() leaves out about 0.3 s of drawing
# from the loop's time.
ctrl <- function(threads) boot_control(B, seed = 1, threads = threads)
pkg_r <- unname(replicate_weights(w, ctrl(1L))[[1L]])
stopifnot(nrow(pkg_r) == nrow(resp), all(pkg_r > 0))

meter <- load_meter()
t_boot <- matrix(NA_real_, n_runs, 3L,
                 dimnames = list(NULL, c("threads1", "threads2", "glm")))
for (i in seq_len(n_runs)) {
  t_boot[i, "threads1"] <- elapsed(
    b1 <- wave_means(w, "y", by = "g", se = "bootstrap", control = ctrl(1L))
  )
  t_boot[i, "threads2"] <- elapsed(
    b2 <- wave_means(w, "y", by = "g", se = "bootstrap", control = ctrl(2L))
  )
  t_boot[i, "glm"] <- elapsed(reps_glm <- glm_bootstrap(function(b) pkg_r[, b]))
  cat(sprintf("  run %d: threads = 1 %.2f s, threads = 2 %.2f s, glm() loop %.1f s\n",
              i, t_boot[i, 1L], t_boot[i, 2L], t_boot[i, 3L]))
}
load_boot <- meter()
cat(sprintf("CPU taken by other processes meanwhile: %.2f cores on average\n",
            load_boot))

pkg_reps <- attr(b1, "replicates")
order_pa <- match(paste(match(b1$wave, panel$waves), b1$g),
                  paste(cells$wave, cells$g))
checks2 <- data.frame(
  check = c("replicates, threads = 2 vs threads = 1 (identical)",
            "replicate estimates vs glm() loop on the same draws",
            "bootstrap SE vs glm() loop on the same draws"),
  max_rel_diff = c(
    if (identical(attr(b1, "replicates"), attr(b2, "replicates"))) 0 else Inf,
    max_rel_diff(pkg_reps, reps_glm[, order_pa]),
    max_rel_diff(b1$std_error, apply(reps_glm, 2, stats::sd)[order_pa])
  ),
  tolerance = c(0, 1e-8, 1e-8)
)

boot_tab <- data.frame(
  method = c("wave_means(se = \"bootstrap\"), threads = 1",
             "wave_means(se = \"bootstrap\"), threads = 2",
             "glm() loop"),
  median_s = apply(t_boot, 2, med)
)
boot_tab$ratio <- med(t_boot[, "glm"]) / boot_tab$median_s

# ---------------------------------------------------------------------------
# Results

fmt_s <- function(x) sprintf("%.3f", x)
cat(sprintf("\nResults, part 1: %s people, median of %d runs after a warm-up run (other processes: %.2f cores)\n",
            format(n_pipe, big.mark = ",", scientific = FALSE), n_pipe_runs,
            load_pipe))
print(data.frame(step = pipe_tab$step,
                 panelattrition = pipe_tab$panelattrition,
                 "pa s" = fmt_s(pipe_tab$pa_s), oracle = pipe_tab$oracle,
                 "oracle s" = fmt_s(pipe_tab$oracle_s),
                 ratio = sprintf("%.1fx", pipe_tab$ratio),
                 check.names = FALSE), row.names = FALSE, right = FALSE)
cat(sprintf("Sandwich SE / naive (svyby) SE of the wave means: %.3f to %.3f\n",
            min(se_ratio), max(se_ratio)))

cat(sprintf("\nResults, part 2: B = %d at %s people, median of %d runs (other processes: %.2f cores)\n",
            B, format(n_boot, big.mark = ",", scientific = FALSE), n_runs,
            load_boot))
print(data.frame(method = boot_tab$method, "median s" = fmt_s(boot_tab$median_s),
                 "glm() loop / this" = sprintf("%.1fx", boot_tab$ratio),
                 check.names = FALSE), row.names = FALSE, right = FALSE)

checks <- rbind(checks1, checks2)
checks$ok <- checks$max_rel_diff <= checks$tolerance
cat("\nAgreement:\n")
print(data.frame(check = checks$check,
                 "max rel diff" = sprintf("%.1e", checks$max_rel_diff),
                 tolerance = format(checks$tolerance),
                 ok = ifelse(checks$ok, "yes", "NO"), check.names = FALSE),
      row.names = FALSE, right = FALSE)

pipe_ratio <- pipe_tab$ratio[pipe_tab$step == "pipeline total"]
boot_ratio <- max(boot_tab$ratio[1:2])
cat("\nTargets:\n")
cat(sprintf("  point-and-SE pipeline at least 10x faster: %.1fx, %s\n",
            pipe_ratio, if (pipe_ratio >= 10) "met" else "NOT met"))
cat(sprintf("  bootstrap at least 50x faster: %.1fx (threads = 1), %.1fx (threads = 2), %s\n",
            boot_tab$ratio[1L], boot_tab$ratio[2L],
            if (boot_ratio >= 50) "met" else "NOT met"))
if (!all(checks$ok)) quit(status = 1L)
