# Regenerates the pinned metafor reference numbers in tests/reference/metafor/*.json.
#
# Run from the repository root:
#     Rscript validation/metafor/make_reference.R
#
# Needs R (>= 4.2) with metafor, metadat and jsonlite. The output is deterministic (fixed
# seeds, no time stamps): rerunning with the same versions rewrites identical files.
# See validation/metafor/README.md for the settings used and the tolerances of the test
# that reads these files (tests/test_metafor_conformance.py).

suppressPackageStartupMessages({
  library(metafor)
  library(metadat)
  library(jsonlite)
})

OUT_DIR <- file.path("tests", "reference", "metafor")
if (!dir.exists(file.path("src", "evisynth"))) {
  stop("Run this script from the repository root: Rscript validation/metafor/make_reference.R")
}
dir.create(OUT_DIR, recursive = TRUE, showWarnings = FALSE)

VERSIONS <- list(
  R = paste(R.version$major, R.version$minor, sep = "."),
  metafor = as.character(packageVersion("metafor")),
  metadat = as.character(packageVersion("metadat")),
  jsonlite = as.character(packageVersion("jsonlite"))
)

# ---------------------------------------------------------------------------------------
# Control settings. metafor's defaults stop Fisher scoring when tau² changes by less than
# 1e-5 and uniroot() at .Machine$double.eps^0.25 (~1.2e-4); the reference values must be
# the exact roots, so the iterative estimators get far tighter settings.
# ---------------------------------------------------------------------------------------
CTRL_FISHER <- list(threshold = 1e-12, maxiter = 10000)  # REML, ML (Fisher scoring)
CTRL_ROOT <- list(tol = 1e-12, maxiter = 10000)          # PM (uniroot on the generalised Q)
# confint(): Q-profile CI of tau². The search interval is widened from metafor's
# [0, max(100, 10 tau²)] so that wide upper bounds (k = 2 or 3) are roots, not the cap.
CTRL_QPROFILE <- list(tol = 1e-12, maxiter = 10000, tau2.max = 1e6)

ITERATIVE <- c("REML", "ML", "PM")

ctrl_for <- function(method) {
  if (method %in% c("REML", "ML")) return(CTRL_FISHER)
  if (method == "PM") return(CTRL_ROOT)
  list()
}

num <- function(x) {
  x <- as.numeric(x)
  if (length(x) != 1L || !is.finite(x)) return(NA_real_)
  x
}

# ---------------------------------------------------------------------------------------
# Effect sizes: escalc() with the contract's columns and defaults.
#   OR, RR: add = 1/2 to all four cells of a table with a zero cell (to = "only0"), tables
#           with no events (or only events) in both arms dropped (drop00 = TRUE).
#   RD:     the same correction; double-zero tables kept (drop00 = FALSE).
#   MC:     yi = m_post - m_pre (escalc's m1i - m2i with m1i = post).
# ---------------------------------------------------------------------------------------
effect_sizes <- function(d, measure) {
  e <- switch(measure,
    MD = escalc("MD", m1i = d$m1, sd1i = d$sd1, n1i = d$n1, m2i = d$m2, sd2i = d$sd2, n2i = d$n2),
    SMD = escalc("SMD", m1i = d$m1, sd1i = d$sd1, n1i = d$n1, m2i = d$m2, sd2i = d$sd2, n2i = d$n2),
    OR = escalc("OR", ai = d$e1, n1i = d$n1, ci = d$e2, n2i = d$n2,
                add = 1/2, to = "only0", drop00 = TRUE),
    RR = escalc("RR", ai = d$e1, n1i = d$n1, ci = d$e2, n2i = d$n2,
                add = 1/2, to = "only0", drop00 = TRUE),
    RD = escalc("RD", ai = d$e1, n1i = d$n1, ci = d$e2, n2i = d$n2,
                add = 1/2, to = "only0", drop00 = FALSE),
    MC = escalc("MC", m1i = d$m_post, m2i = d$m_pre, sd1i = d$sd_post, sd2i = d$sd_pre,
                ni = d$n, ri = d$r),
    GEN = if (!is.null(d$vi)) data.frame(yi = d$yi, vi = d$vi) else data.frame(yi = d$yi, vi = d$sei^2)
  )
  out <- data.frame(study = d$study, yi = as.numeric(e$yi), vi = as.numeric(e$vi),
                    stringsAsFactors = FALSE)
  extra <- setdiff(names(d), c(names(out), "sei"))
  for (col in extra) out[[col]] <- d[[col]]
  out
}

scale_of <- function(measure) if (measure %in% c("OR", "RR")) "log" else "identity"

# ---------------------------------------------------------------------------------------
# Fitting. One function per kind of model; each returns the metafor object and the
# per-study table (all input rows, dropped studies with NA yi/vi/weight).
# ---------------------------------------------------------------------------------------
fit_model <- function(d, call) {
  measure <- call$measure
  model <- call$model
  method <- if (is.null(call$method)) "IV" else call$method
  hksj <- isTRUE(call$hksj)
  if (model == "fixed" && method == "MH") {
    drop <- measure != "RD"
    # add = c(1/2, 0), to = c("only0", "none"): the 0.5 correction only enters the
    # per-study yi/vi (and so Q); the MH estimate and weights use the raw tables.
    res <- rma.mh(ai = d$e1, n1i = d$n1, ci = d$e2, n2i = d$n2, measure = measure,
                  add = c(1/2, 0), to = c("only0", "none"), drop00 = c(drop, drop),
                  slab = d$study)
    studies <- data.frame(study = d$study, yi = as.numeric(res$yi.f), vi = as.numeric(res$vi.f))
    return(list(res = res, type = "mh", studies = studies, weights = weights(res)))
  }
  if (model == "fixed" && method == "Peto") {
    # add = 0: Peto's method needs no correction; metafor's default add = 1/2 would only
    # change the displayed per-study yi/vi, never the estimate, Q or the weights.
    res <- rma.peto(ai = d$e1, n1i = d$n1, ci = d$e2, n2i = d$n2,
                    add = c(0, 0), drop00 = c(TRUE, TRUE), slab = d$study)
    studies <- data.frame(study = d$study, yi = as.numeric(res$yi.f), vi = as.numeric(res$vi.f))
    return(list(res = res, type = "peto", studies = studies, weights = weights(res)))
  }
  es <- effect_sizes(d, measure)
  tau2_method <- if (model == "fixed") "FE" else call$tau2
  res <- rma(yi, vi, data = es, method = tau2_method, test = if (hksj) "knha" else "z",
             control = ctrl_for(tau2_method), slab = study)
  list(res = res, type = "uni", es = es, studies = es[, c("study", "yi", "vi")],
       weights = weights(res), tau2_method = tau2_method)
}

tau2_ci <- function(fit) {
  res <- fit$res
  if (fit$type != "uni" || res$method == "FE" || res$k < 2) return(NULL)
  ci <- confint(res, type = "QP", control = CTRL_QPROFILE)
  if (ci$ub.sign == ">" || ci$lb.sign == ">") stop("Q-profile bound at the search limit")
  c(num(ci$random["tau^2", "ci.lb"]), num(ci$random["tau^2", "ci.ub"]))
}

prediction_interval <- function(fit, prediction) {
  res <- fit$res
  if (fit$type != "uni" || res$method == "FE" || prediction == "none") return(c(NA, NA))
  if (prediction == "t") {
    # t with k-2 df, around the estimate with its (possibly Knapp-Hartung) SE.
    if (res$k < 3) return(c(NA, NA))
    half <- qt(0.975, df = res$k - 2) * sqrt(res$tau2 + res$se^2)
    return(c(c(res$beta) - half, c(res$beta) + half))
  }
  p <- predict(res)
  c(num(p$pi.lb), num(p$pi.ub))
}

scalars <- function(fit, prediction) {
  res <- fit$res
  k_q <- if (fit$type == "uni") res$k else res$k.yi
  pi <- if (res$k > 1) prediction_interval(fit, prediction) else c(NA, NA)
  ci <- tau2_ci(fit)
  list(
    k = res$k,
    estimate = num(res$beta), se = num(res$se),
    ci_low = num(res$ci.lb), ci_high = num(res$ci.ub), p = num(res$pval),
    tau2 = num(res$tau2), tau2_ci = ci,
    i2 = num(res$I2), h2 = num(res$H2),
    q = num(res$QE), q_df = as.integer(k_q - 1L),
    q_p = if (k_q > 1) num(res$QEp) else NA_real_,
    pi_low = num(pi[1]), pi_high = num(pi[2])
  )
}

study_rows <- function(fit) {
  w <- fit$weights
  lapply(seq_len(nrow(fit$studies)), function(i) {
    s <- fit$studies$study[i]
    list(study = s, yi = num(fit$studies$yi[i]), vi = num(fit$studies$vi[i]),
         weight = if (s %in% names(w)) num(w[[s]]) else NA_real_)
  })
}

subgroup_block <- function(d, call, prediction) {
  by <- call$by
  groups <- sort(unique(as.character(d[[by]])))
  fits <- lapply(groups, function(g) fit_model(d[as.character(d[[by]]) == g, , drop = FALSE], call))
  names(fits) <- groups
  sub <- lapply(fits, scalars, prediction = prediction)
  est <- sapply(fits, function(f) c(f$res$beta))
  se <- sapply(fits, function(f) f$res$se)
  # RevMan's test for subgroup differences: fixed-effect Q across the subgroup estimates.
  tst <- rma(est, sei = se, method = "FE")
  q <- tst$QE
  df <- length(groups) - 1L
  list(subgroups = sub,
       subgroup_test = list(q = q, df = df, p = tst$QEp, i2 = max(0, (q - df) / q) * 100))
}

metareg_block <- function(fit, call) {
  mods <- call$moderator
  f <- as.formula(paste("~", paste(mods, collapse = " + ")))
  res <- rma(yi, vi, mods = f, data = fit$es, method = fit$tau2_method,
             control = ctrl_for(fit$tau2_method))
  coefs <- lapply(seq_along(res$beta), function(j)
    list(estimate = num(res$beta[j]), se = num(res$se[j]), p = num(res$pval[j])))
  names(coefs) <- rownames(res$beta)
  list(coefficients = coefs, qm = num(res$QM), qm_p = num(res$QMp), tau2 = num(res$tau2),
       r2 = num(res$R2))
}

bias_block <- function(fit) {
  res <- fit$res
  eg <- regtest(res, model = "lm")
  rk <- suppressWarnings(ranktest(res))
  tf <- trimfill(res, control = ctrl_for(fit$tau2_method))
  list(egger = list(t = num(eg$zval), p = num(eg$pval)),
       begg = list(tau = num(rk$tau), p = num(rk$pval)),
       trimfill = list(k0 = as.integer(tf$k0), side = tf$side,
                       estimate = num(tf$beta), se = num(tf$se)))
}

# leave1out() and cumul() leave tau² out for fixed-effect models, whose tau² is 0.
sens_rows <- function(obj, key) {
  tau2 <- if (is.null(obj$tau2)) rep(0, length(obj$estimate)) else obj$tau2
  lapply(seq_along(obj$estimate), function(i) {
    r <- list(obj$slab[i], num(obj$estimate[i]), num(obj$se[i]), num(obj$ci.lb[i]),
              num(obj$ci.ub[i]), num(tau2[i]), num(obj$I2[i]))
    names(r) <- c(key, "estimate", "se", "ci_low", "ci_high", "tau2", "i2")
    r
  })
}

# A case: the data as the contract's columns, the keyword arguments of evisynth.pool, and
# what metafor says. `kind` is "iterative" when tau² comes from Fisher scoring or a root.
make_case <- function(id, d, call, note = NULL) {
  withCallingHandlers(make_case_(id, d, call, note), warning = function(w) {
    # Expected: metafor's notes that dropped (double-zero) studies were left out.
    if (!grepl("NAs omitted|yi/vi values are NA", conditionMessage(w))) {
      message(sprintf("warning in %s: %s", id, conditionMessage(w)))
    }
    invokeRestart("muffleWarning")
  })
}

make_case_ <- function(id, d, call, note) {
  if (anyDuplicated(d$study)) stop("duplicate study names in ", id)
  prediction <- if (is.null(call$prediction)) "z" else call$prediction
  model <- if (is.null(call$model)) "random" else call$model
  full <- call
  full$model <- model
  if (model == "random" && is.null(full$tau2)) full$tau2 <- "REML"
  fit <- fit_model(d, full)
  method <- if (is.null(full$method)) "IV" else full$method
  expected <- c(
    list(measure = call$measure, model = model, method = method),
    if (model == "random") list(tau2_method = full$tau2),
    list(scale = scale_of(call$measure)),
    scalars(fit, prediction),
    list(studies = study_rows(fit))
  )
  if (!is.null(call$by)) expected <- c(expected, subgroup_block(d, full, prediction))
  if (!is.null(call$moderator)) expected$metaregression <- metareg_block(fit, full)
  if (isTRUE(call$bias)) expected$bias <- bias_block(fit)
  if (isTRUE(call$leave_one_out)) {
    expected$leave_one_out <- sens_rows(leave1out(fit$res), "omitted")
  }
  if (!is.null(call$cumulative)) {
    expected$cumulative <- sens_rows(cumul(fit$res, order = d[[call$cumulative]]), "added")
  }
  kind <- if (model == "random" && full$tau2 %in% ITERATIVE) "iterative" else "closed"
  case <- list(id = id, kind = kind, call = call, data = d, expected = expected)
  if (!is.null(note)) case$note <- note
  case
}

write_cases <- function(topic, description, cases) {
  ids <- vapply(cases, function(x) x$id, "")
  if (anyDuplicated(ids)) stop("duplicate case ids in ", topic)
  doc <- list(
    topic = topic,
    description = description,
    generated_by = "validation/metafor/make_reference.R",
    versions = VERSIONS,
    control = list(fisher_scoring = CTRL_FISHER, pm_uniroot = CTRL_ROOT,
                   qprofile_uniroot = CTRL_QPROFILE),
    cases = cases
  )
  path <- file.path(OUT_DIR, paste0(topic, ".json"))
  txt <- toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", na = "null",
                dataframe = "rows", pretty = TRUE)
  writeLines(txt, path, useBytes = TRUE)
  cat(sprintf("%-40s %3d cases  %7.1f kB\n", path, length(cases), file.size(path) / 1024))
}

# ---------------------------------------------------------------------------------------
# Data. Classic metafor data sets (metadat), converted to the contract's columns.
# ---------------------------------------------------------------------------------------
bcg <- with(dat.bcg, data.frame(
  study = paste(author, year), e1 = tpos, n1 = tpos + tneg, e2 = cpos, n2 = cpos + cneg,
  ablat = ablat, alloc = alloc, year = year, stringsAsFactors = FALSE))

hackshaw <- with(dat.hackshaw1998, data.frame(
  study = paste(author, year), yi = yi, vi = vi, design = design, year = year,
  stringsAsFactors = FALSE))
hackshaw_sei <- with(dat.hackshaw1998, data.frame(
  study = paste(author, year), yi = yi, sei = sqrt(vi), stringsAsFactors = FALSE))

normand <- with(dat.normand1999, data.frame(
  study = source, m1 = m1i, sd1 = sd1i, n1 = n1i, m2 = m2i, sd2 = sd2i, n2 = n2i,
  stringsAsFactors = FALSE))

# Beta-blockers after myocardial infarction, Yusuf et al. (1985) table 9: many zero and
# double-zero tables; the three trials without counts are left out.
yusuf <- subset(dat.yusuf1985, table == "9" & !is.na(ai))
yusuf <- with(yusuf, data.frame(study = trial, e1 = ai, n1 = n1i, e2 = ci, n2 = n2i,
                                stringsAsFactors = FALSE))

# Collins & Langman (1985), upper GI bleeding: deaths (zero cells, one double-zero trial);
# trials without death counts are left out.
collins <- subset(dat.collins1985a, !is.na(d.xti) & !is.na(d.xci))
collins <- with(collins, data.frame(study = paste(trial, year), e1 = d.xti, n1 = nti,
                                    e2 = d.xci, n2 = nci, stringsAsFactors = FALSE))

# ---------------------------------------------------------------------------------------
# Random data (fixed seeds). Study names S01, S02, ...
# ---------------------------------------------------------------------------------------
names_k <- function(k) sprintf("S%02d", seq_len(k))

rand_gen <- function(k, seed, tau2, mu = 0.3) {
  set.seed(seed)
  vi <- round(runif(k, 0.01, 0.25), 4)
  yi <- round(rnorm(k, mu, sqrt(vi + tau2)), 4)
  data.frame(study = names_k(k), yi = yi, vi = vi, stringsAsFactors = FALSE)
}

rand_cont <- function(k, seed, delta = 0.4, tau = 0.2) {
  set.seed(seed)
  n1 <- sample(8:120, k, replace = TRUE)
  n2 <- sample(8:120, k, replace = TRUE)
  sd1 <- round(runif(k, 4, 12), 1)
  sd2 <- round(runif(k, 4, 12), 1)
  theta <- rnorm(k, delta, tau) * 8
  m2 <- round(runif(k, 20, 40), 1)
  m1 <- round(m2 + theta + rnorm(k, 0, sqrt(sd1^2 / n1 + sd2^2 / n2)), 1)
  data.frame(study = names_k(k), m1 = m1, sd1 = sd1, n1 = n1, m2 = m2, sd2 = sd2, n2 = n2,
             stringsAsFactors = FALSE)
}

rand_bin <- function(k, seed, p2 = 0.08, lor = -0.3, tau = 0.3, nmin = 10, nmax = 150) {
  set.seed(seed)
  n1 <- sample(nmin:nmax, k, replace = TRUE)
  n2 <- sample(nmin:nmax, k, replace = TRUE)
  base <- qlogis(p2) + rnorm(k, 0, 0.5)
  p1 <- plogis(base + rnorm(k, lor, tau))
  e1 <- rbinom(k, n1, p1)
  e2 <- rbinom(k, n2, plogis(base))
  data.frame(study = names_k(k), e1 = e1, n1 = n1, e2 = e2, n2 = n2, stringsAsFactors = FALSE)
}

rand_mc <- function(k, seed) {
  set.seed(seed)
  n <- sample(10:80, k, replace = TRUE)
  sd_pre <- round(runif(k, 5, 12), 1)
  sd_post <- round(sd_pre * runif(k, 0.8, 1.3), 1)
  r <- round(runif(k, 0.3, 0.85), 2)
  m_pre <- round(runif(k, 40, 60), 1)
  m_post <- round(m_pre - rnorm(k, 4, 2), 1)
  data.frame(study = names_k(k), m_pre = m_pre, sd_pre = sd_pre, m_post = m_post,
             sd_post = sd_post, n = n, r = r, stringsAsFactors = FALSE)
}

with_col <- function(d, name, values) {
  d[[name]] <- values
  d
}

TAU2 <- c("DL", "REML", "PM", "ML", "HE", "SJ")

# Sparse tables: zero cells, double-zero tables, one table with all events in both arms.
sparse_or <- rand_bin(12, 101, p2 = 0.04, nmin = 8, nmax = 40)
sparse_or$e1[3] <- 0; sparse_or$e2[3] <- 0                        # no events in either arm
sparse_or$e1[5] <- 0                                              # single zero cell
sparse_or$e2[8] <- 0
sparse_all <- sparse_or
sparse_all$e1[10] <- sparse_all$n1[10]; sparse_all$e2[10] <- sparse_all$n2[10]  # all events

sparse_rd <- rand_bin(10, 202, p2 = 0.05, nmin = 10, nmax = 60)
sparse_rd$e1[c(2, 7)] <- 0; sparse_rd$e2[c(2, 7)] <- 0                # two double-zero tables
sparse_rd$n2[7] <- sparse_rd$n1[7]                                   # ... one with equal arms
sparse_rd$e2[4] <- 0

# ---------------------------------------------------------------------------------------
# 1. Effect sizes (escalc) and fixed-effect inverse-variance pooling, every measure.
# ---------------------------------------------------------------------------------------
fx <- function(measure) list(measure = measure, model = "fixed", method = "IV")
effects_cases <- list(
  make_case("effects-md-normand1999", normand, fx("MD")),
  make_case("effects-smd-normand1999", normand, fx("SMD")),
  make_case("effects-rr-bcg", bcg[, 1:5], fx("RR")),
  make_case("effects-or-bcg", bcg[, 1:5], fx("OR")),
  make_case("effects-rd-bcg", bcg[, 1:5], fx("RD")),
  make_case("effects-or-collins1985a", collins, fx("OR")),
  make_case("effects-rr-collins1985a", collins, fx("RR")),
  make_case("effects-rd-collins1985a", collins, fx("RD"),
            note = "Foco 1984 has no deaths in either arm: kept for RD with 0.5 added to each cell"),
  make_case("effects-or-yusuf1985", yusuf, fx("OR")),
  make_case("effects-or-sparse", sparse_or, fx("OR")),
  make_case("effects-rr-sparse", sparse_or, fx("RR")),
  make_case("effects-rr-sparse-all-events", sparse_all, fx("RR"),
            note = "S10 has all participants with events in both arms: dropped for RR"),
  make_case("effects-or-sparse-all-events", sparse_all, fx("OR")),
  make_case("effects-rd-sparse", sparse_rd, fx("RD")),
  make_case("effects-rd-sparse-all-events", sparse_all, fx("RD")),
  make_case("effects-md-random-k7", rand_cont(7, 11), fx("MD")),
  make_case("effects-smd-random-k15", rand_cont(15, 12), fx("SMD")),
  make_case("effects-smd-random-k4-small-n", rand_cont(4, 13), fx("SMD")),
  make_case("effects-mc-random-k8", rand_mc(8, 14), fx("MC")),
  make_case("effects-mc-random-k3", rand_mc(3, 15), fx("MC")),
  make_case("effects-gen-vi-hackshaw1998", hackshaw[, 1:3], fx("GEN")),
  make_case("effects-gen-sei-hackshaw1998", hackshaw_sei, fx("GEN"))
)
write_cases("effects", paste(
  "Per-study yi/vi from escalc() for every measure, pooled with the fixed-effect",
  "inverse-variance model (rma(method='FE'))."), effects_cases)

# ---------------------------------------------------------------------------------------
# 2. Random effects: every tau² estimator, Knapp-Hartung, prediction intervals.
# ---------------------------------------------------------------------------------------
re <- function(measure, tau2, ...) c(list(measure = measure, model = "random", tau2 = tau2), list(...))
random_data <- list(
  "rr-bcg" = list(bcg[, 1:5], "RR"),
  "or-bcg" = list(bcg[, 1:5], "OR"),
  "rd-bcg" = list(bcg[, 1:5], "RD"),
  "gen-hackshaw1998" = list(hackshaw[, 1:3], "GEN"),
  "md-normand1999" = list(normand, "MD"),
  "smd-normand1999" = list(normand, "SMD"),
  "or-collins1985a" = list(collins, "OR"),
  "or-yusuf1985" = list(yusuf, "OR"),
  "or-sparse" = list(sparse_or, "OR"),
  "rd-sparse" = list(sparse_rd, "RD"),
  "gen-random-k2" = list(rand_gen(2, 22, 0.3), "GEN"),
  "gen-random-k2-homogeneous" = list(rand_gen(2, 24, 0.3), "GEN"),
  "gen-random-k3" = list(rand_gen(3, 21, 0.3), "GEN"),
  "gen-random-k3-mixed" = list(rand_gen(3, 26, 0.3), "GEN"),
  "gen-random-k5" = list(rand_gen(5, 23, 0.2), "GEN"),
  "gen-random-k10" = list(rand_gen(10, 28, 0.15), "GEN"),
  "gen-random-k20" = list(rand_gen(20, 25, 0.04), "GEN"),
  "gen-random-k40" = list(rand_gen(40, 26, 0.03), "GEN"),
  "gen-random-k6-homogeneous" = list(rand_gen(6, 27, 0), "GEN"),
  "gen-random-k12-homogeneous" = list(rand_gen(12, 28, 0), "GEN"),
  "md-random-k7" = list(rand_cont(7, 14, tau = 0.4), "MD"),
  "smd-random-k15" = list(rand_cont(15, 12), "SMD"),
  "mc-random-k8" = list(rand_mc(8, 14), "MC"),
  "rr-random-k6" = list(rand_bin(6, 34, tau = 0.6), "RR"),
  "rr-random-k6-mixed" = list(rand_bin(6, 33, tau = 0.6), "RR")
)
random_cases <- list()
add_random <- function(name, t2, suffix = "", ..., note = NULL) {
  rd <- random_data[[name]]
  random_cases[[length(random_cases) + 1]] <<- make_case(
    sprintf("random-%s-%s%s", name, tolower(t2), suffix), rd[[1]], re(rd[[2]], t2, ...),
    note = note)
}
for (name in names(random_data)) for (t2 in TAU2) add_random(name, t2)
# Knapp-Hartung with every estimator on three data sets, and with REML and DL on more.
for (name in c("rr-bcg", "gen-random-k3", "gen-random-k10")) {
  for (t2 in TAU2) add_random(name, t2, "-hksj", hksj = TRUE)
}
for (name in c("gen-hackshaw1998", "smd-normand1999", "gen-random-k2", "gen-random-k3-mixed",
               "gen-random-k6-homogeneous", "mc-random-k8", "or-sparse")) {
  for (t2 in c("REML", "DL")) add_random(name, t2, "-hksj", hksj = TRUE)
}
# Prediction intervals with t (k-2 df), and none.
for (name in c("rr-bcg", "gen-hackshaw1998", "gen-random-k3", "gen-random-k5", "md-normand1999")) {
  for (t2 in c("REML", "DL")) add_random(name, t2, "-pred-t", prediction = "t")
}
add_random("rr-bcg", "REML", "-hksj-pred-t", hksj = TRUE, prediction = "t")
add_random("rr-bcg", "REML", "-pred-none", prediction = "none")
add_random("gen-random-k2", "DL", "-pred-t", prediction = "t",
           note = "k = 2: a t prediction interval with k-2 = 0 df is undefined (null)")
# The documented defaults: only the measure given (random, IV, REML, prediction z).
random_cases[[length(random_cases) + 1]] <- make_case(
  "random-defaults-smd-normand1999", normand, list(measure = "SMD"))
random_cases[[length(random_cases) + 1]] <- make_case(
  "random-preset-metafor-smd-normand1999", normand, list(measure = "SMD", preset = "metafor"))
write_cases("random", paste(
  "Random-effects models with every tau² estimator (DL, REML, PM, ML, HE, SJ), Knapp-Hartung",
  "(test='knha'), Q-profile CI of tau² (confint) and prediction intervals (predict)."),
  random_cases)

# ---------------------------------------------------------------------------------------
# 3. Fixed effect for binary outcomes: Mantel-Haenszel (rma.mh) and Peto (rma.peto).
# ---------------------------------------------------------------------------------------
mh <- function(measure) list(measure = measure, model = "fixed", method = "MH")
peto <- list(measure = "OR", model = "fixed", method = "Peto")
binary_cases <- list()
for (bd in list(list("bcg", bcg[, 1:5]), list("collins1985a", collins),
                list("yusuf1985", yusuf), list("sparse", sparse_or),
                list("sparse-all-events", sparse_all), list("random-k6", rand_bin(6, 31)))) {
  for (m in c("OR", "RR", "RD")) {
    binary_cases[[length(binary_cases) + 1]] <-
      make_case(sprintf("mh-%s-%s", tolower(m), bd[[1]]), bd[[2]], mh(m))
  }
  binary_cases[[length(binary_cases) + 1]] <-
    make_case(sprintf("peto-or-%s", bd[[1]]), bd[[2]], peto)
}
binary_cases[[length(binary_cases) + 1]] <- make_case("mh-rd-sparse-rd", sparse_rd, mh("RD"))
write_cases("binary_fixed", paste(
  "Mantel-Haenszel (rma.mh) for OR, RR, RD and Peto's odds ratio (rma.peto), with their Q,",
  "I², H² and weights."), binary_cases)

# ---------------------------------------------------------------------------------------
# 4. Subgroups: a separate model per subgroup; RevMan's test for subgroup differences.
# ---------------------------------------------------------------------------------------
bcg_grp <- bcg[, c("study", "e1", "n1", "e2", "n2", "alloc")]
hack_grp <- hackshaw[, c("study", "yi", "vi", "design")]
gen30 <- with_col(rand_gen(30, 41, 0.05), "group", rep(c("A", "B", "C"), length.out = 30))
gen30$yi <- gen30$yi + ifelse(gen30$group == "B", 0.3, 0)
subgroup_cases <- list(
  make_case("subgroups-rr-bcg-alloc-reml", bcg_grp, re("RR", "REML", by = "alloc")),
  make_case("subgroups-rr-bcg-alloc-dl", bcg_grp, re("RR", "DL", by = "alloc")),
  make_case("subgroups-rr-bcg-alloc-fixed", bcg_grp,
            list(measure = "RR", model = "fixed", method = "IV", by = "alloc")),
  make_case("subgroups-or-bcg-alloc-mh", bcg_grp,
            list(measure = "OR", model = "fixed", method = "MH", by = "alloc")),
  make_case("subgroups-gen-hackshaw1998-design-reml", hack_grp, re("GEN", "REML", by = "design")),
  make_case("subgroups-gen-hackshaw1998-design-pm", hack_grp, re("GEN", "PM", by = "design")),
  make_case("subgroups-gen-random-k30-group-reml", gen30, re("GEN", "REML", by = "group")),
  make_case("subgroups-gen-random-k30-group-dl-hksj", gen30,
            re("GEN", "DL", by = "group", hksj = TRUE)),
  make_case("subgroups-gen-random-k30-group-sj", gen30, re("GEN", "SJ", by = "group"))
)
write_cases("subgroups", paste(
  "Subgroup analyses: one model per subgroup (its own tau²) and the test for subgroup",
  "differences, rma(est, sei = se, method = 'FE') over the subgroup estimates, with",
  "I² = max(0, (Q - df)/Q) * 100."), subgroup_cases)

# ---------------------------------------------------------------------------------------
# 5. Meta-regression (mixed-effects; rma with mods).
# ---------------------------------------------------------------------------------------
bcg_mod <- bcg[, c("study", "e1", "n1", "e2", "n2", "ablat", "alloc", "year")]
gen25 <- rand_gen(25, 51, 0.03)
set.seed(52)
gen25$dose <- round(runif(25, 0, 10), 1)
gen25$group <- sample(c("A", "B", "C"), 25, replace = TRUE)
gen25$yi <- round(gen25$yi + 0.05 * gen25$dose + ifelse(gen25$group == "C", -0.2, 0), 4)
metareg_cases <- list()
for (t2 in c("REML", "ML", "DL")) {
  metareg_cases[[length(metareg_cases) + 1]] <- make_case(
    sprintf("metareg-rr-bcg-ablat-%s", tolower(t2)), bcg_mod, re("RR", t2, moderator = "ablat"))
  metareg_cases[[length(metareg_cases) + 1]] <- make_case(
    sprintf("metareg-rr-bcg-alloc-%s", tolower(t2)), bcg_mod, re("RR", t2, moderator = "alloc"))
  metareg_cases[[length(metareg_cases) + 1]] <- make_case(
    sprintf("metareg-rr-bcg-ablat-year-%s", tolower(t2)), bcg_mod,
    re("RR", t2, moderator = c("ablat", "year")))
  metareg_cases[[length(metareg_cases) + 1]] <- make_case(
    sprintf("metareg-gen-random-k25-dose-%s", tolower(t2)), gen25, re("GEN", t2, moderator = "dose"))
  metareg_cases[[length(metareg_cases) + 1]] <- make_case(
    sprintf("metareg-gen-random-k25-dose-group-%s", tolower(t2)), gen25,
    re("GEN", t2, moderator = c("dose", "group")))
}
write_cases("metaregression", paste(
  "Mixed-effects meta-regression, rma(yi, vi, mods = ~ ...): coefficients (metafor's names),",
  "QM and its p, residual tau² and R² (percent)."), metareg_cases)

# ---------------------------------------------------------------------------------------
# 6. Small-study effects: regtest(model = 'lm'), ranktest(), trimfill() (L0, side chosen by
#    metafor).
# ---------------------------------------------------------------------------------------
bias_cases <- list()
for (bd in list(list("gen-hackshaw1998", hackshaw[, 1:3], "GEN"),
                list("or-bcg", bcg[, 1:5], "OR"),
                list("smd-random-k15", rand_cont(15, 12), "SMD"),
                list("gen-random-k20", rand_gen(20, 25, 0.04), "GEN"),
                list("gen-random-k40", rand_gen(40, 26, 0.03), "GEN"))) {
  for (t2 in c("REML", "DL")) {
    bias_cases[[length(bias_cases) + 1]] <- make_case(
      sprintf("bias-%s-%s", bd[[1]], tolower(t2)), bd[[2]], re(bd[[3]], t2, bias = TRUE))
  }
  bias_cases[[length(bias_cases) + 1]] <- make_case(
    sprintf("bias-%s-fixed", bd[[1]]), bd[[2]],
    list(measure = bd[[3]], model = "fixed", method = "IV", bias = TRUE))
}
# Asymmetric data: small studies with large effects (trim-and-fill fills on the left).
asym <- rand_gen(18, 61, 0.01)
asym$yi <- round(asym$yi + 1.5 * (sqrt(asym$vi) - 0.2), 4)
bias_cases[[length(bias_cases) + 1]] <- make_case("bias-gen-asymmetric-k18-reml", asym,
                                                  re("GEN", "REML", bias = TRUE))
bias_cases[[length(bias_cases) + 1]] <- make_case("bias-gen-asymmetric-k18-fixed", asym,
  list(measure = "GEN", model = "fixed", method = "IV", bias = TRUE))
asym_r <- asym
asym_r$yi <- -asym_r$yi
bias_cases[[length(bias_cases) + 1]] <- make_case("bias-gen-asymmetric-mirrored-k18-dl", asym_r,
                                                  re("GEN", "DL", bias = TRUE))
# Tied variances: ranktest() falls back from the exact test to the normal approximation.
ties <- rand_gen(14, 71, 0.02)
ties$vi <- rep(c(0.04, 0.09, 0.16, 0.02, 0.05, 0.12, 0.08), 2)
bias_cases[[length(bias_cases) + 1]] <- make_case("bias-gen-tied-variances-k14-dl", ties,
  re("GEN", "DL", bias = TRUE),
  note = "tied vi: Kendall's tau-b with the tie-corrected normal approximation (no exact p)")
write_cases("bias", paste(
  "Small-study effects: Egger's regression test regtest(res, model = 'lm'), Begg's rank",
  "correlation ranktest(res), trim-and-fill trimfill(res) (estimator L0, side chosen by",
  "metafor)."), bias_cases)

# ---------------------------------------------------------------------------------------
# 7. Sensitivity: leave-one-out and cumulative meta-analysis; k = 1.
# ---------------------------------------------------------------------------------------
bcg_year <- bcg[, c("study", "e1", "n1", "e2", "n2", "year")]
hack_year <- hackshaw[, c("study", "yi", "vi", "year")]
sens_cases <- list(
  make_case("l1o-rr-bcg-reml", bcg[, 1:5], re("RR", "REML", leave_one_out = TRUE)),
  make_case("l1o-rr-bcg-dl", bcg[, 1:5], re("RR", "DL", leave_one_out = TRUE)),
  make_case("l1o-rr-bcg-pm-hksj", bcg[, 1:5], re("RR", "PM", leave_one_out = TRUE, hksj = TRUE)),
  make_case("l1o-rr-bcg-fixed", bcg[, 1:5],
            list(measure = "RR", model = "fixed", method = "IV", leave_one_out = TRUE)),
  make_case("l1o-or-collins1985a-mh", collins,
            list(measure = "OR", model = "fixed", method = "MH", leave_one_out = TRUE)),
  make_case("l1o-gen-random-k5-sj", rand_gen(5, 23, 0.08), re("GEN", "SJ", leave_one_out = TRUE)),
  make_case("l1o-gen-random-k12-homogeneous-ml", rand_gen(12, 28, 0),
            re("GEN", "ML", leave_one_out = TRUE)),
  make_case("cumul-rr-bcg-year-reml", bcg_year, re("RR", "REML", cumulative = "year"),
            note = "two trials from 1973: ties in the ordering column keep the data order"),
  make_case("cumul-rr-bcg-year-dl", bcg_year, re("RR", "DL", cumulative = "year")),
  make_case("cumul-rr-bcg-year-fixed", bcg_year,
            list(measure = "RR", model = "fixed", method = "IV", cumulative = "year")),
  make_case("cumul-gen-hackshaw1998-year-reml", hack_year, re("GEN", "REML", cumulative = "year"),
            note = "many ties in year: ties keep the data order (a stable sort)"),
  make_case("cumul-gen-hackshaw1998-year-he", hack_year, re("GEN", "HE", cumulative = "year")),
  make_case("k1-gen-reml", rand_gen(1, 81, 0), re("GEN", "REML"),
            note = paste("k = 1: metafor sets tau² = 0, Q = 0 (df 0), I² = 0, H² = 1; its Q p-value of 1",
                         "and its prediction interval (the CI) are conventions, pinned as null")),
  make_case("k1-gen-dl", rand_gen(1, 81, 0), re("GEN", "DL")),
  make_case("k1-gen-fixed", rand_gen(1, 81, 0), list(measure = "GEN", model = "fixed", method = "IV")),
  make_case("k1-or-fixed", rand_bin(1, 82), list(measure = "OR", model = "fixed", method = "IV")),
  make_case("k1-md-reml", rand_cont(1, 83), re("MD", "REML")),
  # One table where the MH estimate differs from the study's own log RR in the last bit:
  # Q is then a rounding residue on 0 df, which must not read as I² = 100%.
  make_case("k1-rr-mh-fixed", data.frame(study = "one", e1 = 3, n1 = 10, e2 = 5, n2 = 10),
            list(measure = "RR", model = "fixed", method = "MH"))
)
write_cases("sensitivity", paste(
  "Leave-one-out (leave1out) and cumulative (cumul, ordered by a column; ties keep the data",
  "order) meta-analysis, and single-study analyses (k = 1)."), sens_cases)
