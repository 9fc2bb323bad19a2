package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Drill run states, as the store keeps them (package drills names them too).
const (
	DrillRunActive    = "active"
	DrillRunCompleted = "completed"
)

var (
	// ErrDrillRunActive is returned by CreateDrillRun when the drill already
	// has a run under way (another process may have started it a moment
	// ago): resume that one (ActiveDrillRun).
	ErrDrillRunActive = errors.New("store: the drill already has a run under way")
	// ErrDrillRunChanged is returned by SaveDrillSteps and FinishDrillRun
	// when the run moved on since the revision the change was computed from
	// (another process changed it), or is already finished. Nothing is
	// written: read the run again.
	ErrDrillRunChanged = errors.New("store: the drill run changed meanwhile")
	// ErrDrillStepsOpen is returned by FinishDrillRun when a step of the run
	// is neither done nor skipped.
	ErrDrillStepsOpen = errors.New("store: the drill run has steps neither done nor skipped")
)

// DrillRunRecord is one drill run as the store keeps it. The store does not
// import package drills: the drill snapshot and each step's evidence are
// JSON that package drills writes and reads. Answers and notes in the
// evidence are the participant's words, never secrets.
type DrillRunRecord struct {
	ID            string
	DrillID       string
	DrillHash     string // lowercase hex SHA-256 of DrillJSON as package drills made it
	DrillJSON     string // the drill as the run started
	ProfileSerial int64
	AppVersion    string
	Language      string
	State         string // DrillRunActive | DrillRunCompleted
	// Revision increases with every change; SaveDrillSteps and
	// FinishDrillRun take the revision their change was computed from.
	Revision      int64
	Started       time.Time
	Finished      time.Time // zero while active
	OperationalAt time.Time // the first verification that saw every essential app operational; zero: none yet
	// TimeToOperational is recorded by FinishDrillRun; nil: never
	// operational during the run (or not finished).
	TimeToOperational *time.Duration
	Feedback          string
	Steps             []DrillStepRecord // by Index
}

// DrillStepRecord is one step of a run.
type DrillStepRecord struct {
	Index        int // the step's position in the drill, from 0
	StepID       string
	State        string    // open | done | skipped | failed
	Started      time.Time // zero: not current yet
	Finished     time.Time // zero: not done, skipped or failed yet
	SkipReason   string
	Failure      string // the code of the last failed attempt
	EvidenceJSON string // "" is stored as "{}"
}

// DrillStepsChange is one change to a run under way: the steps it touched
// (a step done, skipped or failed, and the next one made current) and,
// perhaps, the run's first sight of every essential app operational.
type DrillStepsChange struct {
	RunID         string
	Revision      int64             // the run's revision the change was computed from
	Steps         []DrillStepRecord // replaced whole, matched by Index and StepID
	OperationalAt time.Time         // recorded only if the run has none yet; zero: unchanged
}

// DrillFinish ends a run.
type DrillFinish struct {
	RunID             string
	Revision          int64 // the run's revision the change was computed from
	Finished          time.Time
	TimeToOperational *time.Duration // nil: never operational during the run
	Feedback          string
}

// millisOrZero stores a zero time as 0, "not yet".
func millisOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// timeOrZero reads back what millisOrZero stored.
func timeOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return fromMillis(ms)
}

func evidenceOrEmpty(s string) string {
	if s == "" {
		return "{}"
	}
	return s
}

// CreateDrillRun records a new run and all its steps in one transaction.
// The run is recorded as active at revision 0 whatever r.State and
// r.Revision say. A drill with a run already under way is refused with
// ErrDrillRunActive.
func (db *DB) CreateDrillRun(ctx context.Context, r DrillRunRecord) error {
	if r.ID == "" || r.DrillID == "" {
		return errors.New("store: create drill run: empty id")
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: create drill run: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	_, err = tx.ExecContext(ctx, `
		INSERT INTO drill_runs (id, drill_id, drill_hash, drill_json, profile_serial, app_version, language, state, revision,
			started, operational_at, feedback)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'active', 0, ?, ?, ?)`,
		r.ID, r.DrillID, r.DrillHash, r.DrillJSON, r.ProfileSerial, r.AppVersion, r.Language,
		db.orNow(r.Started).UnixMilli(), millisOrZero(r.OperationalAt), r.Feedback)
	if err != nil {
		if isUniqueViolation(err, "drill_runs.drill_id") {
			return ErrDrillRunActive
		}
		return fmt.Errorf("store: create drill run: %w", err)
	}
	for _, s := range r.Steps {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO drill_steps (run_id, idx, step_id, state, started, finished, skip_reason, failure, evidence_json)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, s.Index, s.StepID, s.State, millisOrZero(s.Started), millisOrZero(s.Finished), s.SkipReason, s.Failure,
			evidenceOrEmpty(s.EvidenceJSON)); err != nil {
			return fmt.Errorf("store: create drill run: step %d: %w", s.Index, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: create drill run: %w", err)
	}
	return nil
}

// isUniqueViolation reports whether err is SQLite refusing a duplicate on
// the named column (as SQLite names it: "table.column").
func isUniqueViolation(err error, column string) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique && strings.Contains(se.Error(), column)
}

// SaveDrillSteps records one change to a run under way, all of it or
// nothing, and moves the run to the next revision. A run that changed
// since c.Revision, or is finished, is refused with ErrDrillRunChanged; an
// unknown run with ErrNotFound.
func (db *DB) SaveDrillSteps(ctx context.Context, c DrillStepsChange) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save drill steps: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	res, err := tx.ExecContext(ctx, `
		UPDATE drill_runs SET revision = revision + 1,
			operational_at = CASE WHEN operational_at = 0 THEN ? ELSE operational_at END
		WHERE id = ? AND state = 'active' AND revision = ?`,
		millisOrZero(c.OperationalAt), c.RunID, c.Revision)
	if err != nil {
		return fmt.Errorf("store: save drill steps: %w", err)
	}
	if err := drillRunMoved(ctx, tx, res, c.RunID); err != nil {
		return err
	}
	for _, s := range c.Steps {
		res, err := tx.ExecContext(ctx, `
			UPDATE drill_steps SET state = ?, started = ?, finished = ?, skip_reason = ?, failure = ?, evidence_json = ?
			WHERE run_id = ? AND idx = ? AND step_id = ?`,
			s.State, millisOrZero(s.Started), millisOrZero(s.Finished), s.SkipReason, s.Failure, evidenceOrEmpty(s.EvidenceJSON),
			c.RunID, s.Index, s.StepID)
		if err != nil {
			return fmt.Errorf("store: save drill steps: step %d: %w", s.Index, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("store: save drill steps: run %s has no step %d %q", c.RunID, s.Index, s.StepID)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save drill steps: %w", err)
	}
	return nil
}

// drillRunMoved turns an UPDATE of drill_runs that matched no row into
// ErrNotFound or ErrDrillRunChanged.
func drillRunMoved(ctx context.Context, tx *sql.Tx, res sql.Result, runID string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: drill run %s: %w", runID, err)
	}
	if n == 1 {
		return nil
	}
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM drill_runs WHERE id = ?`, runID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: drill run %s: %w", runID, err)
	}
	return ErrDrillRunChanged
}

// FinishDrillRun ends a run under way whose steps are all done or skipped
// (else ErrDrillStepsOpen), recording its end, time to operational and the
// participant's feedback. Refused like SaveDrillSteps when the run moved on.
func (db *DB) FinishDrillRun(ctx context.Context, f DrillFinish) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: finish drill run: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM drill_steps WHERE run_id = ? AND state NOT IN ('done', 'skipped')`,
		f.RunID).Scan(&open); err != nil {
		return fmt.Errorf("store: finish drill run: %w", err)
	}
	var tto sql.NullInt64
	if f.TimeToOperational != nil {
		tto = sql.NullInt64{Int64: f.TimeToOperational.Milliseconds(), Valid: true}
	}
	res, err := tx.ExecContext(ctx, `
		UPDATE drill_runs SET revision = revision + 1, state = 'completed', finished = ?, time_to_operational_ms = ?, feedback = ?
		WHERE id = ? AND state = 'active' AND revision = ?`,
		db.orNow(f.Finished).UnixMilli(), tto, f.Feedback, f.RunID, f.Revision)
	if err != nil {
		return fmt.Errorf("store: finish drill run: %w", err)
	}
	if err := drillRunMoved(ctx, tx, res, f.RunID); err != nil {
		return err
	}
	if open > 0 {
		return ErrDrillStepsOpen // rolled back
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: finish drill run: %w", err)
	}
	return nil
}

// DrillRun returns one run with its steps, or ErrNotFound.
func (db *DB) DrillRun(ctx context.Context, id string) (*DrillRunRecord, error) {
	runs, err := db.drillRuns(ctx, `WHERE r.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, ErrNotFound
	}
	return &runs[0], nil
}

// ActiveDrillRun returns the run of drill drillID under way, or
// ErrNotFound.
func (db *DB) ActiveDrillRun(ctx context.Context, drillID string) (*DrillRunRecord, error) {
	runs, err := db.drillRuns(ctx, `WHERE r.drill_id = ? AND r.state = 'active'`, drillID)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, ErrNotFound
	}
	return &runs[0], nil
}

// DrillRuns returns every run with its steps, newest (latest started)
// first.
func (db *DB) DrillRuns(ctx context.Context) ([]DrillRunRecord, error) {
	return db.drillRuns(ctx, ``)
}

// drillRuns reads the runs that where selects (on drill_runs, as r), newest
// first, with their steps. One statement, so one snapshot of the database:
// a run and its steps always agree, without taking the write lock that a
// transaction here would (BEGIN IMMEDIATE, see dsn).
func (db *DB) drillRuns(ctx context.Context, where string, args ...any) ([]DrillRunRecord, error) {
	// The drill's JSON, the largest column, comes only on a run's first row.
	rows, err := db.sql.QueryContext(ctx, `
		SELECT r.id, r.drill_id, r.drill_hash, CASE WHEN s.idx > 0 THEN '' ELSE r.drill_json END, r.profile_serial,
			r.app_version, r.language, r.state, r.revision, r.started, r.finished, r.operational_at, r.time_to_operational_ms,
			r.feedback, s.idx, s.step_id, s.state, s.started, s.finished, s.skip_reason, s.failure, s.evidence_json
		FROM drill_runs AS r LEFT JOIN drill_steps AS s ON s.run_id = r.id `+where+`
		ORDER BY r.started DESC, r.rowid DESC, s.idx`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: drill runs: %w", err)
	}
	defer rows.Close()
	var runs []DrillRunRecord
	for rows.Next() {
		var (
			r                                DrillRunRecord
			drillJSON                        string
			started, finished, operationalAt int64
			tto                              sql.NullInt64
			idx, stepStarted, stepFinished   sql.NullInt64
			stepID, state, skip, failure, ev sql.NullString
		)
		if err := rows.Scan(&r.ID, &r.DrillID, &r.DrillHash, &drillJSON, &r.ProfileSerial, &r.AppVersion, &r.Language, &r.State,
			&r.Revision, &started, &finished, &operationalAt, &tto, &r.Feedback,
			&idx, &stepID, &state, &stepStarted, &stepFinished, &skip, &failure, &ev); err != nil {
			return nil, fmt.Errorf("store: drill runs: %w", err)
		}
		if n := len(runs); n == 0 || runs[n-1].ID != r.ID {
			r.DrillJSON = drillJSON
			r.Started, r.Finished, r.OperationalAt = fromMillis(started), timeOrZero(finished), timeOrZero(operationalAt)
			if tto.Valid {
				d := time.Duration(tto.Int64) * time.Millisecond
				r.TimeToOperational = &d
			}
			runs = append(runs, r)
		}
		if !idx.Valid {
			continue // a run without steps
		}
		last := &runs[len(runs)-1]
		last.Steps = append(last.Steps, DrillStepRecord{
			Index: int(idx.Int64), StepID: stepID.String, State: state.String,
			Started: timeOrZero(stepStarted.Int64), Finished: timeOrZero(stepFinished.Int64),
			SkipReason: skip.String, Failure: failure.String, EvidenceJSON: ev.String,
		})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: drill runs: %w", err)
	}
	return runs, nil
}
