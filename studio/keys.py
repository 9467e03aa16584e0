"""Every session-state key the pages share, in one place (the widgets' own keys are in ``controls``).

Keys a test or another page may read are public constants; what each holds is said beside it.
"""

# handed from the gallery page to the studio ("Re-run with these settings")
RERUN_PARAMS = "nst_rerun_params"  # StyleParams.to_dict() of the run
RERUN_RUN_ID = "nst_rerun_run_id"  # its id, so the studio loads its photo, styles and masks

# the studio's parameters: widgets overlay a base
BASE_PARAMS = "studio_base_params"  # StyleParams: the defaults, or a re-run's stored params
SEEDED = "studio_seeded_values"  # the widget values the base was shown as (unchanged widget = base value)
PLANNED_PARAMS = "studio_planned_params"  # StyleParams Stylize would paint now (None when not ready)
READY_INPUTS = "studio_ready_inputs"  # ReadyInputs for the Stylize callback
LOADED_INPUTS = "studio_loaded_inputs"  # LoadedRun: a re-run's photo, styles and masks
LOADED_NOTE = "studio_loaded_note"  # "Loaded settings from run N", shown until the next run starts
NOTICE = "studio_notice"  # one warning shown on the next script run
EXAMPLES_PICKED = "studio_examples_picked"  # the user chose the style examples (an upload keeps them)
SHEET_SHOWN = "studio_sheet_shown"  # "Every style at once" was pressed: the sheet follows the photo
SHEET_PICK = "studio_sheet_pick"  # the Picture id a sheet tile picked: the only style until the styles change

# the job of this session
JOB_ID = "job_id"
JOB_REF = "studio_job"  # the Job itself (survives the runner forgetting old jobs)
RESULTS = "studio_results"  # earlier jobs of this session, newest first
PANEL_ACTIVE = "studio_panel_active"  # the live panel is showing: rerun the page when the run ends
SESSION_TOKEN = "studio_session_token"

# identities of the current inputs (memo keys)
CONTENT_ID = "studio_content_id"
STYLE_IDS = "studio_style_ids"
BRUSH_GENERATION = "studio_brush_generation"  # bumped by "Clear the brush strokes": a new canvas
FAST_STRENGTH = "fast_strength"  # the fast preview's style strength, 0..1 (widget)

# per-session memos (session.memo): encoded or decoded once, shown many times
MEMO_UPLOADS = "memo_uploads"
MEMO_MASK_UPLOAD = "memo_mask_upload"
MEMO_BRUSH_BACKGROUND = "memo_brush_background"
MEMO_BRUSH_MASKS = "memo_brush_masks"
MEMO_COMBINED_MASKS = "memo_combined_masks"
MEMO_FAST_PREVIEW = "memo_fast_preview"
MEMO_SHEET = "memo_style_sheet"  # the all-styles sheet: (tiles, PNG bytes, seconds, error)
MEMO_CONTENT_PREVIEW = "memo_content_preview"
MEMO_LIVE_FRAME = "memo_live_frame"

# gallery page
GALLERY_SELECTED = "gallery_selected"
GALLERY_PAGE = "gallery_page"
GALLERY_NOTICE = "gallery_notice"
GALLERY_CONFIRM_DELETE = "confirm_delete"
PRINT_CONFIRM = "print_confirm"  # the run id whose "Make a print" waits for its confirmation
PRINT_JOB = "print_job"  # the Job of the print this session started (its outcome is shown once it ends)

# sharing mode (studio/access.py)
OWNER_GRANTED = "access_owner_granted"  # True once this session opened the owner link
