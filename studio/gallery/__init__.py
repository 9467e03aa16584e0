"""The gallery page's views (views/gallery_page.py lays them out); the pure helpers are in nst.gallery."""
