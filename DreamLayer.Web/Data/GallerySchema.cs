namespace DreamLayer.Web.Data;

/// <summary>
/// What EF Core cannot express: the full-text index over prompts (SQLite FTS5, external content on
/// <c>Images</c>, row id = <see cref="ImageEntity.Seq"/>) and the triggers that keep it and <c>Seq</c> in step
/// with every insert, update and delete. Created by the Gallery migration, whose SQL is written out in the
/// migration itself: an applied migration is frozen text, so a later change to the index needs a migration of its own.
/// </summary>
public static class GallerySchema
{
    public const string FtsTable = "ImagesFts";
}
