"""One module per part of the studio page; each draws what ``studio.controls`` computed."""
